using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;

namespace Serverless.Core.Search.Catalog;

/// <summary>The catalog's source of truth: one Table row per product, spread over a few partitions.</summary>
public sealed class CatalogStore(StorageClients storage, IOptions<SearchOptions> options)
{
    private const int Partitions = 16;
    private const int MaxTransactionSize = 100;
    private const int MaxConflictRetries = 5;
    private readonly TableClient _table = storage.Tables.GetTableClient(options.Value.CatalogTable);
    private volatile bool _created;

    /// <summary>
    /// Writes a change: an upsert replaces the whole row unless the row holds a product or a delete of a later time; a
    /// timed delete leaves a tombstone row unless the row holds a product updated later (skipped writes are left out
    /// of the returned change); an untimed delete removes the row. Returns what was written, the change to announce.
    /// </summary>
    public async Task<CatalogChange> ApplyAsync(CatalogChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await EnsureTableAsync(cancellationToken);
        var upserts = change.Upserts.Select(p => new RowWrite(p.Id, p.UpdatedAt, ToEntity(p), Tombstone: false));
        var written = await WriteUnlessNewerAsync(upserts, cancellationToken);
        IReadOnlyList<string> deleted = change.Deletes;
        if (change.DeletedAt is { } deletedAt)
        {
            deleted = await WriteUnlessNewerAsync(change.Deletes.Select(id => new RowWrite(id, deletedAt, ToTombstone(id, deletedAt), Tombstone: true)), cancellationToken);
        }
        else
        {
            await DeleteAsync(change.Deletes, cancellationToken);
        }

        var kept = written.Count == change.Upserts.Count ? change.Upserts : change.Upserts.Where(p => written.Contains(p.Id)).ToList();
        return kept == change.Upserts && deleted.Count == change.Deletes.Count ? change : change with { Upserts = kept, Deletes = deleted };
    }

    private async Task<IReadOnlyList<string>> WriteUnlessNewerAsync(IEnumerable<RowWrite> writes, CancellationToken cancellationToken)
    {
        var written = new List<string>();
        foreach (var batch in writes.GroupBy(w => w.Entity.PartitionKey).SelectMany(g => g.Chunk(MaxTransactionSize)))
        {
            written.AddRange(await WriteBatchUnlessNewerAsync(batch, cancellationToken));
        }

        return written;
    }

    // Storage queues keep no order, so an older change can arrive after a newer one (a retry, a second worker): each
    // row is replaced only if what it holds is not newer, and only under the ETag read, so a writer that got in
    // between makes the batch fail whole and it is decided again on fresh rows. Equal times are written, so a
    // redelivered change rewrites its own rows, except that an upsert as old as a tombstone loses to it. Table storage
    // has no "update if newer" of its own.
    private async Task<IReadOnlyList<string>> WriteBatchUnlessNewerAsync(RowWrite[] batch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var rows = await Task.WhenAll(batch.Select(w =>
                _table.GetEntityIfExistsAsync<TableEntity>(w.Entity.PartitionKey, w.Id, ["UpdatedAt", "Deleted"], cancellationToken)));
            var kept = new List<string>(batch.Length);
            var actions = new List<TableTransactionAction>(batch.Length);
            for (var i = 0; i < batch.Length; i++)
            {
                var row = rows[i].HasValue ? rows[i].Value : null;
                if (row is not null && IsNewer(row, batch[i]))
                {
                    continue;
                }

                kept.Add(batch[i].Id);
                actions.Add(row is null
                    ? new TableTransactionAction(TableTransactionActionType.Add, batch[i].Entity)
                    : new TableTransactionAction(TableTransactionActionType.UpdateReplace, batch[i].Entity, row.ETag));
            }

            if (actions.Count == 0)
            {
                return kept;
            }

            try
            {
                await _table.SubmitTransactionAsync(actions, cancellationToken);
                return kept;
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxConflictRetries)
            {
                // Another writer changed or created one of the rows since we read it: read again and decide again.
            }
        }
    }

    private static bool IsNewer(TableEntity row, RowWrite write)
    {
        var rowTime = row.GetDateTimeOffset("UpdatedAt");
        return rowTime > write.At || (rowTime == write.At && IsTombstone(row) && !write.Tombstone);
    }

    private async Task DeleteAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var actions = ids.Select(id => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(PartitionOf(id), id), ETag.All));
        foreach (var batch in actions.GroupBy(a => a.Entity.PartitionKey).SelectMany(g => g.Chunk(MaxTransactionSize)))
        {
            try
            {
                await _table.SubmitTransactionAsync(batch, cancellationToken);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 404)
            {
                // A delete of a product that is not there: delete the rest one by one, idempotently.
                foreach (var action in batch)
                {
                    await _table.DeleteEntityAsync(action.Entity.PartitionKey, action.Entity.RowKey, ETag.All, cancellationToken);
                }
            }
        }
    }

    /// <summary>Every product (tombstones left out), for rebuilding an index when no snapshot exists.</summary>
    public async IAsyncEnumerable<Product> ListAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken);
        await foreach (var entity in _table.QueryAsync<TableEntity>(cancellationToken: cancellationToken))
        {
            if (!IsTombstone(entity))
            {
                yield return FromEntity(entity);
            }
        }
    }

    /// <summary>One product, or null.</summary>
    public async Task<Product?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken);
        var entity = await _table.GetEntityIfExistsAsync<TableEntity>(PartitionOf(id), id, cancellationToken: cancellationToken);
        return entity.HasValue && !IsTombstone(entity.Value!) ? FromEntity(entity.Value!) : null;
    }

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (!_created)
        {
            await _table.CreateIfNotExistsAsync(cancellationToken);
            _created = true;
        }
    }

    private static string PartitionOf(string id) =>
        (System.IO.Hashing.XxHash32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(id)) % Partitions).ToString("x2", CultureInfo.InvariantCulture);

    private static TableEntity ToEntity(Product p) => new(PartitionOf(p.Id), p.Id)
    {
        ["Title"] = p.Title,
        ["Description"] = p.Description,
        ["Category"] = p.Category,
        ["Brand"] = p.Brand,
        ["Price"] = p.Price.ToString(CultureInfo.InvariantCulture),
        ["Tags"] = JsonSerializer.Serialize(p.Tags, CatalogTagsJson.Default.IReadOnlyListString),
        ["UpdatedAt"] = p.UpdatedAt,
    };

    // A tombstone is the deleted product's row kept with the delete's time, so an older upsert still finds it newer.
    private static TableEntity ToTombstone(string id, DateTimeOffset deletedAt) => new(PartitionOf(id), id)
    {
        ["Deleted"] = true,
        ["UpdatedAt"] = deletedAt,
    };

    private static bool IsTombstone(TableEntity e) => e.GetBoolean("Deleted") == true;

    private static Product FromEntity(TableEntity e) => new(
        e.RowKey,
        e.GetString("Title"),
        e.GetString("Description"),
        e.GetString("Category"),
        e.GetString("Brand"),
        decimal.Parse(e.GetString("Price"), CultureInfo.InvariantCulture),
        JsonSerializer.Deserialize(e.GetString("Tags"), CatalogTagsJson.Default.IReadOnlyListString) ?? [],
        e.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue);
}

internal sealed record RowWrite(string Id, DateTimeOffset At, TableEntity Entity, bool Tombstone);

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class CatalogTagsJson : System.Text.Json.Serialization.JsonSerializerContext;
