using System.Diagnostics;
using System.Globalization;
using Serverless.Bench.Harness;
using Serverless.Testing;

namespace Serverless.Bench.Eviction;

/// <summary>
/// The eviction simulator: replays each trace through the exact LRU, LFU, FIFO and MRU references and the two
/// BitFaster caches at sizes from 0.5% to 20% of the key space; hit ratios as a table and one PNG per trace, then
/// ops/s of each cache under 16 threads on the Zipf 0.9 trace.
/// </summary>
public static class EvictionBench
{
    private static readonly double[] Sizes = [0.005, 0.01, 0.02, 0.05, 0.10, 0.20];

    private static readonly Func<int, ISimCache>[] Policies =
    [
        c => ExactRecency.Lru(c), c => new ExactLfu(c), c => new Fifo(c), c => ExactRecency.Mru(c),
        BitFasterCache.Lru, c => BitFasterCache.Lfu(c, deterministic: true),
    ];

    public static async Task RunAsync(TimeSpan duration)
    {
        var report = new Report("Eviction simulator: hit ratio by policy and cache size (share of the key space)")
            .Line("Exact LRU/LFU/FIFO/MRU are hand-written references (the textbook baselines; BitFaster has no FIFO or MRU); " +
                "BitFaster ConcurrentLru and ConcurrentLfu (W-TinyLFU) are the caches records' L1 uses. 300 000 accesses per trace.")
            .Line("");
        var results = Path.Combine(RepositoryPaths.Root, "bench", "results");
        foreach (var trace in EvictionTraces.All())
        {
            var ratios = Policies.Select(p => Sizes.Select(s => HitRatio(p(Math.Max(1, (int)(trace.Keys * s))), trace)).ToArray()).ToArray();
            var names = Policies.Select(p => p(10).Name).ToArray();
            report.Line($"### {trace.Name} ({trace.Keys:N0} keys)").Line("")
                .Line("| policy | " + string.Join(" | ", Sizes.Select(s => $"{s * 100:0.#}%")) + " |")
                .Line("|---|" + string.Concat(Sizes.Select(_ => "---:|")));
            for (var p = 0; p < names.Length; p++)
            {
                report.Line($"| {names[p]} | " + string.Join(" | ", ratios[p].Select(r => (r * 100).ToString("F1", CultureInfo.InvariantCulture) + "%")) + " |");
            }

            var png = Plot(trace, names, ratios, Path.Combine(results, $"eviction-{Slug(trace.Name)}.png"));
            report.Line("").Line($"Plot: `bench/results/{Path.GetFileName(png)}`").Line("");
        }

        var zipf = EvictionTraces.Zipf(0.9);
        var size = zipf.Keys / 10;
        report.Line($"### Throughput: 16 threads replaying Zipf 0.9 at 10% size ({duration.TotalSeconds:F0} s each; references behind one lock)").Line("")
            .Line("| cache | ops/s | hit ratio | ÷ exact LRU ops/s |").Line("|---|---:|---:|---:|");
        var throughputs = new List<(string Name, double Ops, double Hits)>();
        foreach (var make in new Func<ISimCache>[]
        {
            () => new Locked(ExactRecency.Lru(size)), () => new Locked(new ExactLfu(size)), () => new Locked(new Fifo(size)), () => new Locked(ExactRecency.Mru(size)),
            () => BitFasterCache.Lru(size), () => BitFasterCache.Lfu(size, deterministic: false),
        })
        {
            throughputs.Add(await ThroughputAsync(make(), zipf, 16, duration));
        }

        foreach (var (name, ops, hits) in throughputs)
        {
            report.Line(string.Create(CultureInfo.InvariantCulture, $"| {name} | {ops:N0} | {hits * 100:F1}% | {ops / throughputs[0].Ops:F2}x |"));
        }

        await report.Line("").SaveAsync("eviction");
    }

    private static double HitRatio(ISimCache cache, Trace trace)
    {
        var hits = 0;
        foreach (var key in trace.Accesses)
        {
            hits += cache.Access(key) ? 1 : 0;
        }

        return (double)hits / trace.Accesses.Length;
    }

    private static async Task<(string Name, double Ops, double Hits)> ThroughputAsync(ISimCache cache, Trace trace, int threads, TimeSpan duration)
    {
        var stop = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var counts = new long[threads];
        var hits = new long[threads];
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            var i = t * (trace.Accesses.Length / threads);
            long n = 0, h = 0;
            while ((n & 1023) != 0 || Stopwatch.GetTimestamp() < stop)
            {
                h += cache.Access(trace.Accesses[i]) ? 1 : 0;
                i = i + 1 == trace.Accesses.Length ? 0 : i + 1;
                n++;
            }

            counts[t] = n;
            hits[t] = h;
        })));
        var total = counts.Sum();
        return (cache.Name, total / watch.Elapsed.TotalSeconds, (double)hits.Sum() / total);
    }

    private static string Plot(Trace trace, string[] names, double[][] ratios, string path)
    {
        var plot = new ScottPlot.Plot();
        var xs = Sizes.Select(s => s * 100).ToArray();
        for (var p = 0; p < names.Length; p++)
        {
            var line = plot.Add.Scatter(xs, [.. ratios[p].Select(r => r * 100)]);
            line.LegendText = names[p];
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, [.. xs.Select(x => $"{x:0.#}%")]);
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.Title($"Hit ratio, {trace.Name} ({trace.Keys:N0} keys)");
        plot.XLabel("cache size (share of key space)");
        plot.YLabel("hit ratio %");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 900, 520);
        return path;
    }

    private static string Slug(string name) => name.Replace(' ', '-').Replace(".", "", StringComparison.Ordinal).ToLowerInvariant();
}
