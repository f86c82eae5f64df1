using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;
using Serverless.Core.Telemetry;

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
    private readonly GuardedTable _table = new(storage.Tables, options.Value.FencedTable);

    /// <summary>Reads a record; null when it was never written.</summary>
    public async Task<FencedRecord?> ReadAsync(string partition, string row, CancellationToken cancellationToken = default)
    {
        var table = await _table.GetAsync();
        var found = await table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken);
        return found.HasValue ? new FencedRecord(found.Value!.GetString(ValueColumn) ?? "", found.Value.GetInt64(TokenColumn) ?? 0) : null;
    }

    /// <summary>Writes <paramref name="value"/> when <paramref name="token"/> is not below the highest token seen.</summary>
    public async Task<FencedWrite> WriteAsync(string partition, string row, string value, long token, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(token);
        var write = await _table.UpdateAsync(partition, row, current =>
        {
            var highest = current?.GetInt64(TokenColumn) ?? 0;
            return token < highest
                ? (null, new FencedWrite(false, highest))
                : (new TableEntity(partition, row) { [ValueColumn] = value, [TokenColumn] = token }, new FencedWrite(true, token));
        }, cancellationToken);
        LockMetrics.RefusedUnless(write.Accepted, backend: null, "fenced-write");
        return write;
    }
}
