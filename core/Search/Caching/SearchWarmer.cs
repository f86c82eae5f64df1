using Microsoft.Extensions.Options;
using Serverless.Core.Search.Index;

namespace Serverless.Core.Search.Caching;

/// <summary>
/// Refreshes the hottest queries for the current catalog version, so their entries are replaced before they
/// expire and exist right after a catalog change, without waiting for user traffic to miss.
/// </summary>
public sealed class SearchWarmer(HotQueries hot, SearchService search, SearchIndex index, IOptions<SearchOptions> options)
{
    /// <summary>Runs the warm-up; returns how many queries were refreshed.</summary>
    public async Task<int> WarmAsync(CancellationToken cancellationToken = default)
    {
        await index.Ready.WaitAsync(cancellationToken);
        await hot.FlushAsync();
        var queries = await hot.TopAsync(options.Value.HotQueryCount);
        foreach (var query in queries)
        {
            await search.RefreshAsync(query, cancellationToken);
        }

        return queries.Count;
    }
}
