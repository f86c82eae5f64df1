using Azure.Data.Tables;

namespace Serverless.Core.Storage;

/// <summary>
/// Tells a write's own committed try from another writer. The SDK retries a try whose answer was lost (a network
/// timeout after the server committed); the retry then meets that very write and is refused (409 on an insert, 412
/// on an ETag-conditional replace) as if someone else had written. A write tagged with its own id can check.
/// </summary>
internal static class OwnWrites
{
    private const string Property = "WriteId";

    /// <summary>Tags <paramref name="entity"/> with a fresh write id, for <see cref="OwnRowAsync"/> after a refusal.</summary>
    public static Guid Tag(TableEntity entity)
    {
        var id = Guid.NewGuid();
        entity[Property] = id;
        return id;
    }

    /// <summary>The row when it is the one the write tagged <paramref name="writeId"/> wrote; null when another writer's.</summary>
    public static async Task<TableEntity?> OwnRowAsync(TableClient table, string partitionKey, string rowKey, Guid writeId, CancellationToken ct)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: ct);
        return row.HasValue && row.Value!.GetGuid(Property) == writeId ? row.Value : null;
    }
}
