using Microsoft.Extensions.Options;
using ZiggyCreatures.Caching.Fusion;

namespace Serverless.Core.Search.Caching;

/// <summary>The search cache (FusionCache) and its TTL jitter policy.</summary>
public sealed class SearchCache(IFusionCache fusion, IOptions<SearchOptions> options) : IDisposable
{
    /// <summary>The underlying FusionCache.</summary>
    public IFusionCache Fusion { get; } = fusion;

    /// <summary>
    /// Spreads expiry: adds the same random share of <see cref="SearchOptions.JitterMax"/> to the fresh duration and
    /// to the fail-safe duration (which is the TTL in Redis), so results cached together do not expire together.
    /// FusionCache's own jitter only moves the in-memory expiry.
    /// </summary>
    public void Jitter(FusionCacheEntryOptions entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var settings = options.Value;
#pragma warning disable CA5394 // Spreading expiry needs no unpredictability.
        var share = Random.Shared.NextDouble();
#pragma warning restore CA5394
        var jitter = settings.JitterMax * share;
        entry.Duration = settings.CacheDuration + jitter;
        entry.MemoryCacheDuration = settings.MemoryCacheDuration + (settings.MemoryCacheDuration / settings.CacheDuration * jitter);
        entry.FailSafeMaxDuration = settings.FailSafeMaxDuration + jitter;
    }

    /// <inheritdoc />
    public void Dispose() => Fusion.Dispose();
}
