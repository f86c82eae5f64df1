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
    private readonly TableClient _table = storage.Tables.GetTableClient(options.Value.CatalogTable);
    private volatile bool _created;

    /// <summary>Writes a change: upserts replace whole rows, deletes ignore missing rows.</summary>
    public async Task ApplyAsync(CatalogChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await EnsureTableAsync(cancellationToken);
        var actions = change.Upserts.Select(p => new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(p)))
            .Concat(change.Deletes.Select(id => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(PartitionOf(id), id), ETag.All)));
        foreach (var batch in actions.GroupBy(a => a.Entity.PartitionKey).SelectMany(g => g.Chunk(MaxTransactionSize)))
        {
            try
            {
                await _table.SubmitTransactionAsync(batch, cancellationToken);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 404)
            {
                // A delete of a product that is not there: apply the rest one by one, idempotently.
                foreach (var action in batch)
                {
                    await (action.ActionType == TableTransactionActionType.Delete
                        ? _table.DeleteEntityAsync(action.Entity.PartitionKey, action.Entity.RowKey, ETag.All, cancellationToken)
                        : _table.UpsertEntityAsync(action.Entity, TableUpdateMode.Replace, cancellationToken));
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
