using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Serverless.Bench.Harness;
using Serverless.Core.Dispatch;
using Serverless.Testing;

namespace Serverless.Bench.Dispatch;

/// <summary>
/// Discrete-event simulation in virtual time. The arrivals, service times and P2C samples come from one seeded Random,
/// but every decision is the real Lua pick (and every completion the real record) against Redis, driven by a fake
/// clock, so what is measured is the shipped policy, not a re-implementation of it.
/// </summary>
public static class DispatchSimulation
{
    private const double FastServiceMs = 10;
    private const double SlowServiceMs = FastServiceMs * 10;
    private const double Load = 0.8;

    public sealed record Row(string Policy, int Requests, double P50Ms, double P99Ms, double SlowShare);

    public static string Describe() =>
        $"Each target is one FIFO server with exponential service times (mean {FastServiceMs} ms; target t4 {SlowServiceMs} ms); Poisson arrivals at " +
        $"{Load:P0} of the total capacity ({ArrivalsPerSecond:F0}/s); equal weights (the operator does not know which target is slow); latency = queueing + service.";

    private static double ArrivalsPerSecond => Load * ((3 * 1000 / FastServiceMs) + (1000 / SlowServiceMs));

    public static async Task<List<Row>> RunAsync(RedisServer redis, IEnumerable<string> policies, int requestsPerPolicy, int seed)
    {
        var rows = new List<Row>();
        foreach (var policy in policies)
        {
            rows.Add(await RunPolicyAsync(redis, policy, requestsPerPolicy, seed));
        }

        return rows;
    }

    private static async Task<Row> RunPolicyAsync(RedisServer redis, string policy, int requests, int seed)
    {
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        var clock = new FakeTimeProvider(start);
        await using var provider = DispatchBench.Build(redis, new() { ["Dispatch:LeaseDuration"] = "01:00:00", ["Dispatch:Timeout"] = "00:00:10" }, clock);
        var store = provider.GetRequiredService<DispatchStore>();
        var random = new Random(seed);
        store.Random = random.NextDouble;
        string[] ids = ["t1", "t2", "t3", "t4"];
        await store.SaveAsync("sim", DispatchBench.Pool(policy, [.. ids.Select(id => $"http://{id}.sim")]));

        var servers = ids.ToDictionary(id => id, id => new Server(id == "t4" ? SlowServiceMs : FastServiceMs));
        // Events by virtual time (ms): an arrival (lease null) or a completion on a target.
        var events = new PriorityQueue<(double At, PoolLease? Lease, double Arrived), double>();
        events.Enqueue((0, null, 0), 0);
        var latencies = new List<double>(requests);
        var toSlow = 0;
        var arrived = 0;
        while (events.TryDequeue(out var next, out _))
        {
            clock.SetUtcNow(start.AddMilliseconds(next.At));
            if (next.Lease is null)
            {
                arrived++;
                if (arrived < requests)
                {
                    var gap = -Math.Log(1 - random.NextDouble()) * 1000 / ArrivalsPerSecond;
                    events.Enqueue((next.At + gap, null, 0), next.At + gap);
                }

                var lease = (await store.PickAsync("sim")).Lease!;
                toSlow += lease.TargetId == "t4" ? 1 : 0;
                var server = servers[lease.TargetId];
                server.Waiting.Enqueue((lease, next.At));
                if (!server.Busy)
                {
                    StartNext(server, next.At, random, events);
                }

                continue;
            }

            var latency = next.At - next.Arrived;
            latencies.Add(latency);
            await store.RecordAsync(next.Lease, Outcome.Success, TimeSpan.FromMilliseconds(latency));
            var done = servers[next.Lease.TargetId];
            done.Busy = false;
            if (done.Waiting.Count > 0)
            {
                StartNext(done, next.At, random, events);
            }
        }

        var sorted = latencies.Order().ToArray();
        return new Row(policy, requests, Throughput.Percentile(sorted, 0.50), Throughput.Percentile(sorted, 0.99), toSlow / (double)requests);
    }

    private static void StartNext(Server server, double now, Random random, PriorityQueue<(double, PoolLease?, double), double> events)
    {
        var (lease, arrivedAt) = server.Waiting.Dequeue();
        server.Busy = true;
        var finish = now + (-Math.Log(1 - random.NextDouble()) * server.MeanServiceMs);
        events.Enqueue((finish, lease, arrivedAt), finish);
    }

    /// <summary>Writes grouped p50/p99 bars per policy on a log scale; returns the path.</summary>
    public static string Plot(IReadOnlyList<Row> rows, string path)
    {
        var plot = new ScottPlot.Plot();
        var p50 = ScottPlot.Colors.SteelBlue;
        var p99 = ScottPlot.Colors.OrangeRed;
        var bars = new List<ScottPlot.Bar>();
        for (var i = 0; i < rows.Count; i++)
        {
            bars.Add(new ScottPlot.Bar { Position = (i * 3) + 1, Value = Math.Log10(Math.Max(1, rows[i].P50Ms)), FillColor = p50, Label = $"{rows[i].P50Ms:F0}" });
            bars.Add(new ScottPlot.Bar { Position = (i * 3) + 2, Value = Math.Log10(Math.Max(1, rows[i].P99Ms)), FillColor = p99, Label = $"{rows[i].P99Ms:F0}" });
        }

        plot.Add.Bars(bars);
        // Log scale by hand: bar heights are log10(ms), ticks say ms.
        var decades = Enumerable.Range(0, 1 + (int)Math.Ceiling(Math.Log10(Math.Max(10, rows.Max(r => r.P99Ms))))).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. decades.Select(d => (double)d)], [.. decades.Select(d => $"{Math.Pow(10, d):N0} ms")]);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. rows.Select((_, i) => (i * 3) + 1.5)], [.. rows.Select(r => r.Policy)]);
        plot.Axes.SetLimits(0, rows.Count * 3, 0, decades[^1] + 0.3);
        plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = "p50", FillColor = p50 });
        plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = "p99", FillColor = p99 });
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.Title("Dispatch simulation: 4 targets, one 10x slower, 80% load");
        plot.YLabel("latency (log scale)");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 1000, 520);
        return path;
    }

    private sealed class Server(double meanServiceMs)
    {
        public double MeanServiceMs { get; } = meanServiceMs;

        public bool Busy { get; set; }

        public Queue<(PoolLease Lease, double ArrivedAt)> Waiting { get; } = new();
    }
}
