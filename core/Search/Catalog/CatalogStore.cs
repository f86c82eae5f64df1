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
    /// Writes a change: an upsert replaces the whole row unless the row holds a product updated later (it is then left
    /// out of the returned change); deletes ignore missing rows. Returns what was written, the change to announce.
    /// </summary>
    public async Task<CatalogChange> ApplyAsync(CatalogChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await EnsureTableAsync(cancellationToken);
        var written = new List<Product>(change.Upserts.Count);
        foreach (var batch in change.Upserts.GroupBy(p => PartitionOf(p.Id)).SelectMany(g => g.Chunk(MaxTransactionSize)))
        {
            written.AddRange(await UpsertUnlessNewerAsync(batch, cancellationToken));
        }

        await DeleteAsync(change.Deletes, cancellationToken);
        return written.Count == change.Upserts.Count ? change : change with { Upserts = written };
    }

    // Storage queues keep no order, so an older change can arrive after a newer one (a retry, a second worker): each
    // row is replaced only if what it holds is not newer, and only under the ETag read, so a writer that got in
    // between makes the batch fail whole and it is decided again on fresh rows. Equal times are written, so a
    // redelivered change rewrites its own rows. Table storage has no "update if newer" of its own.
    private async Task<IReadOnlyList<Product>> UpsertUnlessNewerAsync(Product[] batch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var rows = await Task.WhenAll(batch.Select(p =>
                _table.GetEntityIfExistsAsync<TableEntity>(PartitionOf(p.Id), p.Id, ["UpdatedAt"], cancellationToken)));
            var kept = new List<Product>(batch.Length);
            var actions = new List<TableTransactionAction>(batch.Length);
            for (var i = 0; i < batch.Length; i++)
            {
                var row = rows[i].HasValue ? rows[i].Value : null;
                if (row?.GetDateTimeOffset("UpdatedAt") > batch[i].UpdatedAt)
                {
                    continue;
                }

                kept.Add(batch[i]);
                actions.Add(row is null
                    ? new TableTransactionAction(TableTransactionActionType.Add, ToEntity(batch[i]))
                    : new TableTransactionAction(TableTransactionActionType.UpdateReplace, ToEntity(batch[i]), row.ETag));
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

    /// <summary>Every product, for rebuilding an index when no snapshot exists.</summary>
    public async IAsyncEnumerable<Product> ListAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken);
        await foreach (var entity in _table.QueryAsync<TableEntity>(cancellationToken: cancellationToken))
        {
            yield return FromEntity(entity);
        }
    }

    /// <summary>One product, or null.</summary>
    public async Task<Product?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken);
        var entity = await _table.GetEntityIfExistsAsync<TableEntity>(PartitionOf(id), id, cancellationToken: cancellationToken);
        return entity.HasValue ? FromEntity(entity.Value!) : null;
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

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class CatalogTagsJson : System.Text.Json.Serialization.JsonSerializerContext;
