using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;

namespace Serverless.Core.Records;

/// <summary>
/// The source of truth: one Azure table, partition = collection, row = key, with <c>Version</c>, <c>Deleted</c> and
/// <c>Data</c> (binary, so a 64 KiB JSON fits the 64 KiB property limit). Every write is conditional on the row's
/// ETag, so two writers never both win the same version.
/// </summary>
internal sealed class RecordTable
{
    private readonly TableClient _table;
    private readonly Lock _gate = new();
    private Task? _created;

    public RecordTable(StorageClients clients, IOptions<RecordsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(clients);
        _table = clients.Tables.GetTableClient(options.Value.Table);
    }

    public async Task<StoredRecord?> GetAsync(string collection, string key, CancellationToken ct = default)
    {
        await EnsureCreatedAsync();
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(collection, key, cancellationToken: ct);
        return row.HasValue ? Parse(row.Value!) : null;
    }

    /// <summary>Writes <paramref name="write"/> over <paramref name="current"/> (or as a new row); false when another writer changed the row first.</summary>
    public async Task<bool> TryWriteAsync(string collection, RecordWrite write, StoredRecord? current, CancellationToken ct = default)
    {
        await EnsureCreatedAsync();
        var entity = Entity(collection, write);
        var writeId = OwnWrites.Tag(entity);
        try
        {
            if (current is null)
            {
                await _table.AddEntityAsync(entity, ct);
            }
            else
            {
                await _table.UpdateEntityAsync(entity, current.ETag, TableUpdateMode.Replace, ct);
            }

            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            // Our own write, met by the SDK's retry, happened: reported as another writer's, the caller would answer
            // 412 for it.
            return await OwnWrites.OwnRowAsync(_table, collection, write.Key, writeId, ct) is not null;
        }
    }

    /// <summary>
    /// Writes each of <paramref name="writes"/> unless the table already holds that version or a newer one (a
    /// flusher that died before acknowledging is redone by another, and must not undo a later flush). Rows of one
    /// collection go in entity-group transactions of up to 100; a transaction that loses a race is redone row by row.
    /// </summary>
    public async Task WriteIfNewerAsync(string collection, IReadOnlyList<RecordWrite> writes, CancellationToken ct = default)
    {
        await EnsureCreatedAsync();
        foreach (var chunk in writes.Chunk(100))
        {
            var current = await Task.WhenAll(chunk.Select(w => GetAsync(collection, w.Key, ct)));
            var actions = new List<TableTransactionAction>();
            for (var i = 0; i < chunk.Length; i++)
            {
                if (current[i] is { } row && row.Version >= chunk[i].Version)
                {
                    continue;
                }

                var entity = Entity(collection, chunk[i]);
                actions.Add(current[i] is { } existing
                    ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, existing.ETag)
                    : new TableTransactionAction(TableTransactionActionType.Add, entity));
            }

            if (actions.Count == 0)
            {
                continue;
            }

            try
            {
                await _table.SubmitTransactionAsync(actions, ct);
            }
            catch (TableTransactionFailedException)
            {
                foreach (var write in chunk)
                {
                    await WriteOneIfNewerAsync(collection, write, ct);
                }
            }
        }
    }

    private async Task WriteOneIfNewerAsync(string collection, RecordWrite write, CancellationToken ct)
    {
        while (true)
        {
            var current = await GetAsync(collection, write.Key, ct);
            if ((current is not null && current.Version >= write.Version) || await TryWriteAsync(collection, write, current, ct))
            {
                return;
            }
        }
    }

    // Created on first use; a failed attempt (storage unreachable) is tried again by the next call.
    private Task EnsureCreatedAsync()
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = _table.CreateIfNotExistsAsync();
            }

            return _created;
        }
    }

    private static TableEntity Entity(string collection, RecordWrite write) => new(collection, write.Key)
    {
        ["Version"] = write.Version,
        ["Deleted"] = write.Deleted,
        ["Data"] = write.Data.ToArray(),
    };

    private static StoredRecord Parse(TableEntity row) => new(
        row.GetInt64("Version") ?? 0,
        row.GetBoolean("Deleted") ?? false,
        row.GetBinary("Data") ?? [],
        row.ETag);
}
