using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Serverless.Functions.Telemetry;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Telemetry;

/// <summary>
/// Listens the way the worker does (<see cref="WorkerTelemetry.AddServerlessTracing"/> and
/// <see cref="WorkerTelemetry.AddServerlessMetrics"/>) and keeps everything in memory with OpenTelemetry's in-memory
/// exporter. Counts start at zero with each capture (cumulative since the provider was built).
/// </summary>
internal sealed class TelemetryCapture : IDisposable
{
    /// <summary>The source tests start their stand-in for the worker's invocation span from.</summary>
    public static readonly ActivitySource Tests = new("Serverless.Tests");

    private readonly List<MetricSnapshot> _metrics = [];
    private readonly List<Activity> _spans = [];
    private readonly MeterProvider _meters;
    private readonly TracerProvider _traces;

    public TelemetryCapture(IConnectionMultiplexer? redis = null)
    {
        _meters = Sdk.CreateMeterProviderBuilder().AddServerlessMetrics().AddInMemoryExporter(_metrics).Build();
        var tracing = Sdk.CreateTracerProviderBuilder().SetSampler(new AlwaysOnSampler()).AddSource(Tests.Name);
        if (redis is not null)
        {
            tracing.AddServerlessTracing(redis);
        }
        else
        {
            tracing.AddSource(Core.Telemetry.ServerlessTelemetry.ActivitySourceWildcard).AddHttpClientInstrumentation();
        }

        _traces = tracing.AddInMemoryExporter(_spans).Build();
    }

    /// <summary>The latest value of a counter or up-down counter, summed over the points whose tags include <paramref name="tags"/>.</summary>
    public long Sum(string instrument, params (string Key, object Value)[] tags) =>
        Points(instrument, tags).Sum(p => p.GetSumLong());

    /// <summary>How many values a histogram recorded over the points whose tags include <paramref name="tags"/>.</summary>
    public long Count(string instrument, params (string Key, object Value)[] tags) =>
        Points(instrument, tags).Sum(p => p.GetHistogramCount());

    /// <summary>Every tag set collected for <paramref name="instrument"/>.</summary>
    public List<Dictionary<string, object?>> TagSets(string instrument) =>
        [.. Points(instrument, []).Select(p => Tags(p.Tags))];

    /// <summary>Every span finished so far.</summary>
    public List<Activity> Spans()
    {
        _traces.ForceFlush();
        lock (_spans)
        {
            return [.. _spans];
        }
    }

    /// <summary>Every metric tag and span attribute, event and name collected, as text (for the privacy check).</summary>
    public List<string> EverythingAsText()
    {
        _meters.ForceFlush();
        var text = new List<string>();
        foreach (var snapshot in _metrics)
        {
            text.Add(snapshot.Name);
            foreach (var point in snapshot.MetricPoints)
            {
                text.AddRange(Tags(point.Tags).Select(t => $"{t.Key}={t.Value}"));
            }
        }

        foreach (var span in Spans())
        {
            text.Add(span.DisplayName);
            text.Add(span.StatusDescription ?? "");
            text.AddRange(span.TagObjects.Select(t => $"{t.Key}={t.Value}"));
            text.AddRange(span.Baggage.Select(t => $"{t.Key}={t.Value}"));
            text.AddRange(span.Events.SelectMany(e => e.Tags.Select(t => $"{t.Key}={t.Value}").Append(e.Name)));
        }

        return text;
    }

    /// <summary>Polls <paramref name="condition"/> over the collected spans until it holds (Redis spans are made after the fact).</summary>
    public async Task<List<Activity>> SpansWhenAsync(Func<List<Activity>, bool> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var spans = Spans();
            if (condition(spans) || DateTime.UtcNow > deadline)
            {
                return spans;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public void Dispose()
    {
        _traces.Dispose();
        _meters.Dispose();
    }

    private List<MetricPoint> Points(string instrument, (string Key, object Value)[] tags)
    {
        _meters.ForceFlush();
        var latest = _metrics.LastOrDefault(m => m.Name == instrument);
        if (latest is null)
        {
            return [];
        }

        return [.. latest.MetricPoints.Where(p =>
        {
            var all = Tags(p.Tags);
            return tags.All(t => all.TryGetValue(t.Key, out var v) && Equals(v?.ToString(), t.Value.ToString()));
        })];
    }

    private static Dictionary<string, object?> Tags(ReadOnlyTagCollection tags)
    {
        var all = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            all[tag.Key] = tag.Value;
        }

        return all;
    }
}

/// <summary>
/// The telemetry tests read process-wide meters; run alone, a count is exactly what the test did (another class
/// running beside them would move the same counters).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry (alone)";
}
