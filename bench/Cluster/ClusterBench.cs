using System.Globalization;
using Serverless.Bench.Harness;
using Serverless.Testing;

namespace Serverless.Bench.Cluster;

/// <summary>
/// Sessions, Redis lock pairs and dispatch picks on one Redis node and on a local 3-master Redis Cluster, started in
/// the same run and measured alternately (single, cluster, single, cluster), so a load change on the shared machine
/// falls on both; each figure is the median over the rounds.
/// </summary>
public static class ClusterBench
{
    private const int Rounds = 2;

    private static readonly (string Name, Func<TopologyApp, int, Func<Task>> Operation)[] Operations =
    [
        ("session get", (app, _) => app.SessionGetAsync),
        ("session set one attribute", (app, _) => app.SessionSetOneAttributeAsync),
        ("Redis lock acquire+release pair", (app, concurrency) => app.LockPair(concurrency)),
        ("dispatch pick (power-of-two-choices, 4 targets)", (app, _) => app.PickAsync),
    ];

    public static async Task RunAsync(TimeSpan duration)
    {
        var loadAtStart = LoadAverage();
        // Lock grants need Table storage: the first grant of each lock name moves its fencing epoch there.
        await using var azurite = await AzuriteServer.StartAsync();
        await using var singleRedis = await RedisServer.StartAsync(RedisTopology.Single);
        await using var clusterRedis = await RedisServer.StartAsync(RedisTopology.Cluster);
        await using var single = await TopologyApp.StartAsync("single-node", singleRedis, azurite.ConnectionString);
        await using var cluster = await TopologyApp.StartAsync("cluster", clusterRedis, azurite.ConnectionString);

        var rows = new List<(Throughput.Result Single, Throughput.Result Cluster)>();
        var perRound = new List<string>();
        foreach (var concurrency in new[] { 1, 16 })
        {
            foreach (var (name, operation) in Operations)
            {
                var singles = new List<Throughput.Result>();
                var clusters = new List<Throughput.Result>();
                for (var round = 0; round < Rounds; round++)
                {
                    singles.Add(await Throughput.MeasureAsync(name, concurrency, duration, operation(single, concurrency)));
                    clusters.Add(await Throughput.MeasureAsync(name, concurrency, duration, operation(cluster, concurrency)));
                }

                rows.Add((Median(singles), Median(clusters)));
                perRound.Add(string.Create(CultureInfo.InvariantCulture, $"| {name} | {concurrency} | {Describe(singles)} | {Describe(clusters)} |"));
                Console.WriteLine(perRound[^1]);
            }
        }

        await new Report("Cluster: single Redis node vs local 3-master Redis Cluster (same run)")
            .Line(string.Create(CultureInfo.InvariantCulture,
                $"Redis: {singleRedis.Flavour} (one node) and {clusterRedis.Flavour} (3 masters, no replicas, every slot assigned), both started by this run; {duration.TotalSeconds:F0} s per measurement after warm-up, measured alternately (single, cluster, × {Rounds}); each figure is the median of its {Rounds} rounds (with two, their mean)."))
            .Line("The same app services on both (sessions bound to a principal, the Redis lock with fencing, the dispatch store), one StackExchange.Redis multiplexer per topology; every call is checked to succeed.")
            .Line("")
            .Line("**All three cluster nodes, the single node and the client share the same 2 cores**: the ratio reflects client-side " +
                "slot routing (and a connection per node) plus the nodes competing for CPU, not a real multi-machine cluster, " +
                "where each shard would have its own cores. One session, one pool: all of a session's keys (and all of a pool's) " +
                "share one hash tag, so those rows run on one shard; the lock rows use one lock name per worker, so at concurrency 16 " +
                "their 16 names fall in different slots and spread over the shards.")
            .Line("")
            .SideBySide("single node", "cluster", rows)
            .Line("Each round's ops/s, in the order measured (how far apart the rounds are shows the noise):")
            .Line("")
            .Line("| operation | concurrency | single node ops/s | cluster ops/s |")
            .Line("|---|---:|---:|---:|")
            .Lines(perRound)
            .Line("")
            .Line($"Load average (1/5/15 min) at start: {loadAtStart}.")
            .SaveAsync("cluster");
    }

    private static Throughput.Result Median(List<Throughput.Result> rounds) => new(
        rounds[0].Name, rounds[0].Concurrency, (long)Median(rounds.Select(r => (double)r.Operations)),
        Median(rounds.Select(r => r.OpsPerSecond)), Median(rounds.Select(r => r.P50Ms)), Median(rounds.Select(r => r.P99Ms)));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static string Describe(List<Throughput.Result> rounds) =>
        string.Join(" / ", rounds.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.OpsPerSecond:N0}")));

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
