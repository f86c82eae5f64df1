using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;

namespace Serverless.Core.Locking;

/// <summary>The outcome of a fenced write.</summary>
/// <param name="Accepted">Whether the value was written.</param>
/// <param name="HighestToken">The highest fencing token the record has seen after the attempt.</param>
public sealed record FencedWrite(bool Accepted, long HighestToken);

/// <summary>A fenced record: its value and the highest fencing token that wrote it.</summary>
/// <param name="Value">The stored value.</param>
/// <param name="HighestToken">The highest token seen.</param>
public sealed record FencedRecord(string Value, long HighestToken);

/// <summary>
/// The resource side of fencing: a Table-storage record that accepts a write only with a token at least as high as
/// the highest it has seen, and remembers the new high. The check and the write are one ETag-conditional update,
/// so two writers racing cannot both pass the check on the same version. This is how a lock's token is meant to be
/// used: the lock decides who should write, the resource refuses whoever is late.
/// </summary>
public sealed class FencedTable(StorageClients storage, IOptions<LockingOptions> options)
{
    private const string ValueColumn = "Value";
    private const string TokenColumn = "HighestToken";
    private readonly Lazy<Task<TableClient>> _table = new(async () =>
    {
        var table = storage.Tables.GetTableClient(options.Value.FencedTable);
        await table.CreateIfNotExistsAsync();
        return table;
    });

    /// <summary>Reads a record; null when it was never written.</summary>
    public async Task<FencedRecord?> ReadAsync(string partition, string row, CancellationToken cancellationToken = default)
    {
        var table = await _table.Value;
        var found = await table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken);
        return found.HasValue ? new FencedRecord(found.Value!.GetString(ValueColumn) ?? "", found.Value.GetInt64(TokenColumn) ?? 0) : null;
    }

    /// <summary>Writes <paramref name="value"/> when <paramref name="token"/> is not below the highest token seen.</summary>
    public async Task<FencedWrite> WriteAsync(string partition, string row, string value, long token, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(token);
        var table = await _table.Value;
        while (true)
        {
            var found = await table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken);
            var entity = new TableEntity(partition, row) { [ValueColumn] = value, [TokenColumn] = token };
            try
            {
                if (!found.HasValue)
                {
                    await table.AddEntityAsync(entity, cancellationToken);
                    return new FencedWrite(true, token);
                }

                var highest = found.Value!.GetInt64(TokenColumn) ?? 0;
                if (token < highest)
                {
                    return new FencedWrite(false, highest);
                }

                await table.UpdateEntityAsync(entity, found.Value.ETag, TableUpdateMode.Replace, cancellationToken);
                return new FencedWrite(true, token);
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Someone wrote between our read and write (created it, or changed its version): check again.
            }
        }
    }
}
