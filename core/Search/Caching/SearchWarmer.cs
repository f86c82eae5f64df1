using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Core.Search.Index;

namespace Serverless.Core.Search.Caching;

/// <summary>
/// Refreshes the hottest queries for the current catalog version, so their entries are replaced before they
/// expire and exist right after a catalog change, without waiting for user traffic to miss.
/// </summary>
public sealed partial class SearchWarmer(HotQueries hot, SearchService search, SearchIndex index, IOptions<SearchOptions> options, ILogger<SearchWarmer> logger)
{
    /// <summary>Runs the warm-up; returns how many queries were refreshed (a query that fails is logged and skipped).</summary>
    public async Task<int> WarmAsync(CancellationToken cancellationToken = default)
    {
        await index.Ready.WaitAsync(cancellationToken);
        await hot.FlushAsync();
        var queries = await hot.TopAsync(options.Value.HotQueryCount);
        var warmed = 0;
        foreach (var query in queries)
        {
            try
            {
                await search.RefreshAsync(query, cancellationToken);
                warmed++;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // One query that cannot be answered (or a Redis blip on its write) must not cost the others their
                // refresh: warming is an optimisation, and the query's next user gets a miss and the real error.
                LogQueryFailed(logger, query.CanonicalKey, ex);
            }
        }

        return warmed;
    }

    [LoggerMessage(LogLevel.Warning, "Warm-up skipped hot query {Query}: it failed")]
    private static partial void LogQueryFailed(ILogger logger, string query, Exception exception);
}
