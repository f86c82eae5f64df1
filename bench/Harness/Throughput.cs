using System.Diagnostics;

namespace Serverless.Bench.Harness;

/// <summary>Closed-loop load: N workers call an operation back to back for a fixed time; ops/s and latency percentiles.</summary>
public static class Throughput
{
    public sealed record Result(string Name, int Concurrency, long Operations, double OpsPerSecond, double P50Ms, double P99Ms);

    public static Task<Result> MeasureAsync(string name, int concurrency, TimeSpan duration, Func<Task> operation) =>
        MeasureValueTaskAsync(name, concurrency, duration, () => new ValueTask(operation()));

    /// <summary>For operations that usually complete synchronously (no Task allocated per call).</summary>
    public static Task<Result> MeasureValueTaskAsync(string name, int concurrency, TimeSpan duration, Func<ValueTask> operation) =>
        MeasureValueTaskAsync(name, concurrency, duration, operation, probe: null);

    /// <summary>As above; <paramref name="probe"/> is started after the warm-up and stopped right after the measured part.</summary>
    public static async Task<Result> MeasureValueTaskAsync(string name, int concurrency, TimeSpan duration, Func<ValueTask> operation, IProbe? probe)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await RunAsync(concurrency, TimeSpan.FromMilliseconds(Math.Min(1000, duration.TotalMilliseconds / 3)), operation, null);
        var latencies = new List<double>[concurrency];
        if (probe is not null)
        {
            await probe.StartAsync();
        }

        var stopwatch = Stopwatch.StartNew();
        var count = await RunAsync(concurrency, duration, operation, latencies);
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        if (probe is not null)
        {
            await probe.StopAsync(count);
        }

        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Result(name, concurrency, count, count / elapsed, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    /// <summary>Reads counters around the measured part of a run (not the warm-up).</summary>
    public interface IProbe
    {
        Task StartAsync();

        Task StopAsync(long operations);
    }

    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task<long> RunAsync(int concurrency, TimeSpan duration, Func<ValueTask> operation, List<double>[]? latencies)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var counts = new long[concurrency];
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var mine = latencies is null ? null : latencies[worker] = new List<double>(100_000);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var start = Stopwatch.GetTimestamp();
                await operation();
                mine?.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                counts[worker]++;
            }
        })));
        return counts.Sum();
    }
}
