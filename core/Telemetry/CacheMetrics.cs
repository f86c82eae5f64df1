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

    /// <summary>
    /// <c>serverless.cache.lookups</c> ({lookup}): every answered lookup, tagged by layer and outcome. Observable: a lookup
    /// increments one of four counters and the meter reads them when it collects. A tagged <c>Counter.Add</c> cost an L1 hit
    /// (about 1 µs) a quarter of its throughput with a listener attached (bench/results/telemetry.md).
    /// </summary>
    public static readonly ObservableCounter<long> Lookups = Meter.CreateObservableCounter(
        "serverless.cache.lookups", ObserveLookups, "{lookup}", "Cache lookups by the layer that answered and their outcome.");

    /// <summary><c>serverless.cache.stampede.waits</c> ({wait}): lookups that waited for another caller computing the same key.</summary>
    public static readonly Counter<long> StampedeWaits = Meter.CreateCounter<long>(
        "serverless.cache.stampede.waits", "{wait}", "Lookups that found the key being computed by another caller on this instance and waited for it.");

    /// <summary><c>serverless.cache.stampede.wait.duration</c> (s): how long those waits took.</summary>
    public static readonly Histogram<double> StampedeWaitDuration = Meter.CreateHistogram(
        "serverless.cache.stampede.wait.duration", "s", "Time a lookup waited for another caller computing the same key.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets.Seconds });

    // One counter per outcome, each on its own cache line so two cores counting different outcomes do not contend.
    private const int Stride = 8;
    private static readonly long[] Counts = new long[4 * Stride];

    private static readonly KeyValuePair<string, object?>[][] OutcomeTags =
    [
        [new(CacheTag, "search"), new(LayerTag, "memory"), new(OutcomeTag, "hit-l1")],
        [new(CacheTag, "search"), new(LayerTag, "redis"), new(OutcomeTag, "hit-l2")],
        [new(CacheTag, "search"), new(LayerTag, "index"), new(OutcomeTag, "miss")],
        [new(CacheTag, "search"), new(LayerTag, "fail-safe"), new(OutcomeTag, "stale")],
    ];

    /// <summary>Counts one answered search lookup (nothing when nobody listens).</summary>
    public static void Lookup(CacheOutcome outcome)
    {
        if (Lookups.Enabled)
        {
            Interlocked.Increment(ref Counts[(int)outcome * Stride]);
        }
    }

    private static IEnumerable<Measurement<long>> ObserveLookups()
    {
        for (var i = 0; i < OutcomeTags.Length; i++)
        {
            var count = Volatile.Read(ref Counts[i * Stride]);
            if (count > 0)
            {
                yield return new Measurement<long>(count, OutcomeTags[i]);
            }
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
