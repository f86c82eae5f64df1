using Microsoft.Extensions.Options;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search.Index;
using Serverless.Core.Search.Query;
using Serverless.Core.Telemetry;
using ZiggyCreatures.Caching.Fusion;

namespace Serverless.Core.Search;

/// <summary>
/// Cached search. Keys are the normalised query plus the catalog version this instance's index has reached, so a
/// catalog change never serves results of the old version. On a miss, FusionCache runs the index once per key
/// across instances; when the index fails, the last good result is served (fail-safe) and marked stale.
/// </summary>
public sealed class SearchService(SearchCache cache, ISearchEngine engine, SearchIndex index, HotQueries hot, IOptions<SearchOptions> options, TimeProvider time)
{
    private static readonly FusionCacheEntryOptions MemoryOnly = new() { SkipDistributedCacheRead = true, SkipDistributedCacheWrite = true };

    // A result at a catalog version never changes (a change is a new version), so a hot query's last L1 hit can be
    // served again from its own counter entry without FusionCache's lookup: half the cost of the hit. It is asked of
    // FusionCache again after one index sync interval, so a removal or expiry there is seen at most that much later,
    // the same window an instance already has to notice a new catalog version.
    private readonly long _frontTicks = (long)(options.Value.SyncInterval.TotalSeconds * time.TimestampFrequency);

    /// <summary>Answers a query from memory, Redis or the index, in that order.</summary>
    /// <remarks>An L1 hit completes synchronously and allocates only the response: it is the hot path.</remarks>
    public ValueTask<SearchResponse> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var started = time.GetTimestamp();
        if (!index.Ready.IsCompleted)
        {
            return SlowAsync(query, started, cancellationToken);
        }

        // One dictionary lookup gives the key (built once per catalog version, not per hit), the hit counter and the
        // last hit's result.
        var entry = hot.Entry(query);
        var version = index.Version;
        if (entry.FrontAt(version, started) is not { } result)
        {
            var memory = cache.Fusion.TryGet<SearchResult>(entry.KeyAt(version), MemoryOnly, cancellationToken);
            if (!memory.HasValue)
            {
                return MissAsync(query, started, cancellationToken);
            }

            result = memory.Value;
            entry.Remember(version, result, started + _frontTicks);
        }

        entry.Increment();
        CacheMetrics.Lookup(CacheOutcome.HitL1);
        return ValueTask.FromResult(new SearchResponse(result, CacheOutcome.HitL1, time.GetElapsedTime(started).TotalMilliseconds));
    }

    private async ValueTask<SearchResponse> SlowAsync(SearchQuery query, long started, CancellationToken cancellationToken)
    {
        await index.Ready.WaitAsync(options.Value.LockTimeout, cancellationToken);
        return await SearchAsync(query, cancellationToken);
    }

    private async ValueTask<SearchResponse> MissAsync(SearchQuery query, long started, CancellationToken cancellationToken)
    {
        var factory = new FactoryRun();
        var result = await cache.Fusion.GetOrSetAsync<SearchResult>(Key(query, index.Version), (context, _) =>
        {
            factory.Ran = true;
            try
            {
                cache.Jitter(context.Options);
                return Task.FromResult(engine.Search(query));
            }
            catch
            {
                factory.Failed = true;
                throw;
            }
        }, token: cancellationToken);
        // Counted only once answered: a query that throws must never become hot, or every warm-up would run it again.
        hot.Record(query);
        var outcome = factory.Failed ? CacheOutcome.Stale : factory.Ran ? CacheOutcome.Miss : CacheOutcome.HitL2;
        CacheMetrics.Lookup(outcome);
        return new SearchResponse(result, outcome, time.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Recomputes <paramref name="query"/> now and stores it for the current version (warm-up).</summary>
    public async Task RefreshAsync(SearchQuery query, CancellationToken cancellationToken = default)
    {
        var result = engine.Search(query);
        var entry = cache.Fusion.CreateEntryOptions();
        cache.Jitter(entry);
        await cache.Fusion.SetAsync(Key(query, result.CatalogVersion), result, entry, cancellationToken);
    }

    /// <summary>The cache key of a query at a catalog version.</summary>
    public static string Key(SearchQuery query, long catalogVersion)
    {
        ArgumentNullException.ThrowIfNull(query);
        return string.Concat("v", catalogVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), ":", query.CanonicalKey);
    }

    private sealed class FactoryRun
    {
        public bool Ran { get; set; }

        public bool Failed { get; set; }
    }
}
