using Serverless.Core.Search.Catalog;

namespace Serverless.Tests.Search;

/// <summary>The indexer's own work on a message text, without the pipeline's inbox (which would skip a repeat).</summary>
internal static class CatalogIndexerExtensions
{
    // long? as the indexer returned before the pipeline: null then meant "poisoned", which now throws here.
    public static async Task<long?> ProcessAsync(this CatalogIndexer indexer, string message, CancellationToken cancellationToken)
    {
        var decoded = indexer.Decode(message);
        return await indexer.ApplyAsync(decoded.Message ?? throw new ArgumentException(decoded.Error, nameof(message)), cancellationToken);
    }
}
