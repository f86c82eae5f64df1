using System.Diagnostics;
using System.Diagnostics.Metrics;
using Serverless.Core.Search;

namespace Serverless.Core.Telemetry;

/// <summary>
/// Meter <c>Serverless.Cache</c>: search cache lookups by the layer that answered and their outcome, and stampede
/// waits (a lookup that found another caller on this instance computing the same key and waited for its result).
/// </summary>
public static class CacheMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Serverless.Cache";

    /// <summary>Tag: which cache (today only <c>search</c>).</summary>
    public const string CacheTag = "cache.name";

    /// <summary>Tag: the layer that answered (<c>memory</c>, <c>redis</c>, <c>index</c>, <c>fail-safe</c>).</summary>
    public const string LayerTag = "cache.layer";

    /// <summary>Tag: <c>hit-l1</c>, <c>hit-l2</c>, <c>miss</c> or <c>stale</c>.</summary>
    public const string OutcomeTag = "cache.outcome";

    private static readonly Meter Meter = new(MeterName, ServerlessTelemetry.Version);

    /// <summary><c>serverless.cache.lookups</c> ({lookup}): every answered lookup, tagged by layer and outcome.</summary>
    public static readonly Counter<long> Lookups = Meter.CreateCounter<long>(
        "serverless.cache.lookups", "{lookup}", "Cache lookups by the layer that answered and their outcome.");

    /// <summary><c>serverless.cache.stampede.waits</c> ({wait}): lookups that waited for another caller computing the same key.</summary>
    public static readonly Counter<long> StampedeWaits = Meter.CreateCounter<long>(
        "serverless.cache.stampede.waits", "{wait}", "Lookups that found the key being computed by another caller on this instance and waited for it.");

    /// <summary><c>serverless.cache.stampede.wait.duration</c> (s): how long those waits took.</summary>
    public static readonly Histogram<double> StampedeWaitDuration = Meter.CreateHistogram(
        "serverless.cache.stampede.wait.duration", "s", "Time a lookup waited for another caller computing the same key.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets.Seconds });

    // Precomputed per outcome: the L1 hit is the hot path, and a KeyValuePair array lookup keeps it free of work
    // beyond the counter's own.
    private static readonly KeyValuePair<string, object?> Search = new(CacheTag, "search");
    private static readonly KeyValuePair<string, object?>[] Layers =
    [
        new(LayerTag, "memory"), new(LayerTag, "redis"), new(LayerTag, "index"), new(LayerTag, "fail-safe"),
    ];

    private static readonly KeyValuePair<string, object?>[] Outcomes =
    [
        new(OutcomeTag, "hit-l1"), new(OutcomeTag, "hit-l2"), new(OutcomeTag, "miss"), new(OutcomeTag, "stale"),
    ];

    /// <summary>Counts one answered search lookup.</summary>
    public static void Lookup(CacheOutcome outcome)
    {
        if (Lookups.Enabled)
        {
            var i = (int)outcome;
            Lookups.Add(1, Search, Layers[i], Outcomes[i]);
        }
    }

    /// <summary>Counts one stampede wait of <paramref name="started"/> (a <see cref="Stopwatch"/> timestamp) until now.</summary>
    public static void StampedeWait(string cache, long started)
    {
        var tag = new KeyValuePair<string, object?>(CacheTag, cache);
        StampedeWaits.Add(1, tag);
        StampedeWaitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
    }
}
