using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Bench.Harness;
using Serverless.Core.Dispatch;
using Serverless.Core.Redis;
using Serverless.Testing;
using StackExchange.Redis;

namespace Serverless.Bench.Dispatch;

/// <summary>
/// Dispatch: decision throughput per policy against a raw EVALSHA of <c>return 1</c>; the seeded queueing simulation
/// (table + PNG); and end-to-end forwarding overhead against calling a backend directly. All in one run.
/// </summary>
public static class DispatchBench
{
    private static readonly string[] Policies = ["round-robin", "weighted-round-robin", "least-connections", "least-response-time", "power-of-two-choices"];

    public static async Task RunAsync(TimeSpan duration)
    {
        await using var redis = await RedisServer.StartAsync();
        var report = new Report("Dispatch: decisions, simulation, forwarding overhead (same Redis, same run)")
            .Line($"Redis: {redis.Flavour}; {duration.TotalSeconds:F0} s per measurement after warm-up. Client, redis-server and the backends share the machine's 2 cores.")
            .Line("");

        await using (var provider = Build(redis, new() { ["Dispatch:LeaseDuration"] = "00:00:02", ["Dispatch:Timeout"] = "00:00:01" }))
        {
            report.Line("### Decision throughput (one Lua pick per decision, 4 targets; goal ≥ 0.5× raw)").Line("").Table(await PicksAsync(provider, duration));
        }

        var simulation = await DispatchSimulation.RunAsync(redis, Policies, requestsPerPolicy: 8_000, seed: 20_261_126);
        var plot = DispatchSimulation.Plot(simulation, Path.Combine(RepositoryPaths.Root, "bench", "results", "dispatch-simulation.png"));
        report.Line("### Seeded simulation: 4 targets (one 10× slower), offered load 80% of capacity").Line("")
            .Line(DispatchSimulation.Describe())
            .Line("")
            .Line("| policy | requests | p50 ms | p99 ms | p99 / round-robin p99 | share to slow target |")
            .Line("|---|---:|---:|---:|---:|---:|");
        var rr = simulation.Single(s => s.Policy == "round-robin").P99Ms;
        foreach (var row in simulation)
        {
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Policy} | {row.Requests:N0} | {row.P50Ms:F1} | {row.P99Ms:F1} | {row.P99Ms / rr:F3}x | {row.SlowShare:P1} |"));
        }

        report.Line("").Line("Round robin (and SWRR with equal weights) sends a quarter of the traffic (62/s) to a target that serves 10/s, so that queue grows for the whole run and its p99 grows with run length; the load-aware policies keep every queue stable.").Line("").Line($"Plot: `bench/results/{Path.GetFileName(plot)}` (goal: power-of-two-choices and least-response-time p99 ≤ 0.5× round-robin p99).").Line("");

        await using (var provider = Build(redis, new()))
        {
            var (forwarding, outcomes) = await ForwardingAsync(provider, duration);
            report.Line("### End-to-end forwarding: through DispatchForwarder (pick + HTTP + record) vs the same GET straight to a backend").Line("")
                .Table(forwarding)
                .Line($"Forward outcomes (warm-up included): {outcomes}. Backends: two in-process Kestrel servers answering at once.");
        }

        await report.SaveAsync("dispatch");
    }

    internal static ServiceProvider Build(RedisServer redis, Dictionary<string, string?> settings, TimeProvider? time = null)
    {
        var all = new Dictionary<string, string?>(settings)
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["Redis:KeyPrefix"] = $"b{Guid.NewGuid():N}"[..10] + ":",
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            // The forwarding measurement's backends are on loopback, which the dispatch allowlist refuses by default.
            ["Dispatch:AllowedNetworks:0"] = "127.0.0.1/32",
        };
        var services = new ServiceCollection().AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        return services.AddServerless(new ConfigurationBuilder().AddInMemoryCollection(all).Build()).BuildServiceProvider();
    }

    internal static PoolDefinition Pool(string policy, IReadOnlyList<string> urls)
    {
        DispatchPolicyNames.TryParse(policy, out var parsed);
        return new PoolDefinition(parsed, [.. urls.Select((u, i) => new PoolTarget($"t{i + 1}", TargetKind.Http, u, 1))], null);
    }

    private static async Task<List<(Throughput.Result, Throughput.Result)>> PicksAsync(ServiceProvider provider, TimeSpan duration)
    {
        var store = provider.GetRequiredService<DispatchStore>();
        var db = provider.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var trivial = new RedisScript("return 1");
        var urls = Enumerable.Range(1, 4).Select(i => $"http://10.0.0.{i}:8080").ToList();
        foreach (var policy in Policies)
        {
            await store.SaveAsync(policy, Pool(policy, urls));
        }

        var rows = new List<(Throughput.Result, Throughput.Result)>();
        foreach (var concurrency in new[] { 1, 16 })
        {
            var raw = await Throughput.MeasureAsync("EVALSHA return 1 (raw)", concurrency, duration, () => trivial.EvaluateAsync(db, [], []));
            foreach (var policy in Policies)
            {
                rows.Add((await Throughput.MeasureAsync($"pick {policy}", concurrency, duration, () => store.PickAsync(policy)), raw));
            }
        }

        return rows;
    }

    private static async Task<(List<(Throughput.Result, Throughput.Result)> Rows, string Outcomes)> ForwardingAsync(ServiceProvider provider, TimeSpan duration)
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        a.KeepRequests = b.KeepRequests = false;
        var store = provider.GetRequiredService<DispatchStore>();
        var forwarder = provider.GetRequiredService<DispatchForwarder>();
        await store.SaveAsync("e2e", Pool("least-connections", [a.Url, b.Url]));
        var direct = provider.GetRequiredService<IHttpClientFactory>().CreateClient(TargetSender.ClientName);
        var request = new ForwardRequest("e2e", "GET", "/ping", [], default);
        var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);

        var rows = new List<(Throughput.Result, Throughput.Result)>();
        foreach (var concurrency in new[] { 1, 16 })
        {
            var baseline = await Throughput.MeasureAsync("GET backend directly", concurrency, duration, async () =>
            {
                using var response = await direct.GetAsync(new Uri(a.Url + "/ping"));
                await response.Content.ReadAsByteArrayAsync();
            });
            var through = await Throughput.MeasureAsync("GET through dispatch (least-connections)", concurrency, duration, async () =>
            {
                var result = await forwarder.ForwardAsync(request, CancellationToken.None);
                outcomes.AddOrUpdate($"{result.Status} {result.StatusCode}", 1, (_, n) => n + 1);
            });
            rows.Add((through, baseline));
        }

        return (rows, string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} ×{o.Value:N0}")));
    }
}
