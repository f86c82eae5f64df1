using System.Text.Json.Serialization;

namespace Serverless.Core.Search.Catalog;

/// <summary>One unit of catalog change: carried by the queue message and by the change log that every instance replays.</summary>
/// <param name="Upserts">Products to add or replace.</param>
/// <param name="Deletes">Ids to remove.</param>
/// <param name="Id">
/// Idempotency id of the queue message that carries the change (<see cref="CatalogChangeQueue"/> sets one per message):
/// a redelivered message is applied once. Null for changes made without the queue.
/// </param>
/// <param name="DeletedAt">
/// When the deletes were accepted: a delete older than the product's row is skipped, and the tombstone it leaves keeps
/// an older upsert from bringing the product back. Null in messages written before deletes carried a time; those
/// remove the row whatever it holds, as they always did.
/// </param>
public sealed record CatalogChange(IReadOnlyList<Product> Upserts, IReadOnlyList<string> Deletes, string? Id = null, DateTimeOffset? DeletedAt = null);

/// <summary>Source-generated JSON for catalog payloads (queue messages, change log, API bodies).</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CatalogChange))]
[JsonSerializable(typeof(Product))]
[JsonSerializable(typeof(List<Product?>))]
public sealed partial class CatalogJson : JsonSerializerContext;
