using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Bench.Harness;
using Serverless.Core.Dispatch;
using Serverless.Core.Dispatch.Hashing;
using Serverless.Core.Redis;
using Serverless.Testing;
using StackExchange.Redis;

namespace Serverless.Bench.Dispatch;

/// <summary>
/// Consistent hashing (issue 15): in-process lookup cost at 10, 100 and 1,000 targets; key movement and max/mean
/// load over 100,000 keys for ring-hash, maglev and jump consistent hash (reference); picks/s end to end through the
/// pick script against the other policies and a raw EVALSHA, all in one run.
/// </summary>
public static class HashingBench
{
    private const int Keys = 100_000;
    private static readonly string[] Algorithms = ["ring-hash", "maglev", "jump (reference)"];
    private static readonly string[] Policies = ["round-robin", "least-connections", "power-of-two-choices", "ring-hash", "maglev"];

    public static async Task RunAsync(TimeSpan duration)
    {
        var report = new Report("Consistent hashing: lookup, movement, load, picks (same run)");
        report.Line("### In-process lookup (one key hash → target; tables built once per pool version)").Line("")
            .Line("| algorithm | targets | build ms (wall) | lookup ns (CPU) | fallback list ns (CPU) |")
            .Line("|---|---:|---:|---:|---:|");
        foreach (var n in new[] { 10, 100, 1_000 })
        {
            foreach (var algorithm in Algorithms)
            {
                report.Line(Lookup(algorithm, n));
            }
        }

        report.Line("").Line("Lookup: process CPU time per lookup over 8M lookups of precomputed key hashes (CPU time, not wall time: the machine is shared). Fallback list: every weighted target in the key's order (what a pick sends for the bounded-load and ejection checks; pools hold at most 64 targets). Jump hash has no fallback order of its own. Maglev uses 65,537 slots, and 100,003 at 1,000 targets (the ≥ 100 × targets rule).").Line("");

        var hashes = Enumerable.Range(0, Keys).Select(i => KeyHash.Of($"tenant-{i}")).ToArray();
        report.Line($"### Key movement and load, {Keys:N0} keys, equal weights").Line("")
            .Line("| algorithm | max/mean load at n=10 | add 11th: moved (ideal 9.09%) | add: moved between old targets | remove last of 10: moved (ideal 10%) | remove t4 of 10: moved (ideal 10%) | max/mean load at n=100 |")
            .Line("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var algorithm in Algorithms)
        {
            report.Line(Movement(algorithm, hashes));
        }

        report.Line("").Line("Jump hash can only remove the last bucket, so its middle removal is n/a. Moved = share of keys whose target changed.").Line("");

        await using var redis = await RedisServer.StartAsync();
        await using var provider = DispatchBench.Build(redis, new() { ["Dispatch:LeaseDuration"] = "00:00:02", ["Dispatch:Timeout"] = "00:00:01" });
        report.Line($"### Picks end to end (one pick script per decision, 4 targets; Redis {redis.Flavour}, {duration.TotalSeconds:F0} s each)").Line("")
            .Table(await PicksAsync(provider, duration))
            .Line("Hashing picks rotate over 10,000 keys; leases are not released (they expire after 2 s), as for the other policies.");
        await report.SaveAsync("hashing");
    }

    private static string Lookup(string algorithm, int n)
    {
        var targets = Enumerable.Range(0, n).Select(i => ($"t{i}", 1)).ToList();
        var size = n * 100 > MaglevTable.DefaultSize ? 100_003 : MaglevTable.DefaultSize;
        var build = Stopwatch.StartNew();
        IConsistentHashTable? table = null;
        for (var round = 0; round < 2 && algorithm != "jump (reference)"; round++)
        {
            // The second build is timed: the first one also pays for JIT.
            build.Restart();
            table = HashPools.Build(algorithm, targets, size);
        }

        var buildMs = build.Elapsed.TotalMilliseconds;
        var random = new Random(20_261_201);
        var hashes = Enumerable.Range(0, 1 << 16).Select(_ => (ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 1)).ToArray();
        const int Lookups = 8_000_000;
        long sum = 0;
        var lookupNs = CpuNanoseconds(Lookups, () =>
        {
            for (var i = 0; i < Lookups; i++)
            {
                var h = hashes[i & 0xFFFF];
                sum += table?.Lookup(h) ?? JumpHash(h, n);
            }
        });
        var prefs = "n/a";
        if (table is not null)
        {
            var rounds = Math.Max(2_000, 20_000_000 / (n * 10));
            prefs = CpuNanoseconds(rounds, () =>
            {
                for (var i = 0; i < rounds; i++)
                {
                    sum += table.Preferences(hashes[i & 0xFFFF]).Length;
                }
            }).ToString("N0", CultureInfo.InvariantCulture);
        }

        GC.KeepAlive(sum);
        return string.Create(CultureInfo.InvariantCulture, $"| {algorithm} | {n:N0} | {buildMs:F1} | {lookupNs:F1} | {prefs} |");
    }

    // This process's CPU time per operation: the bench machine is shared, and under load wall time measured the
    // scheduler more than the loop (the same loop varied 5x between runs).
    private static double CpuNanoseconds(int operations, Action loop)
    {
        var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        loop();
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalNanoseconds / operations;
    }

    private static string Movement(string algorithm, ulong[] hashes)
    {
        Func<ulong, string> Of(int n, string? without = null)
        {
            var targets = Enumerable.Range(0, n).Select(i => ($"t{i}", 1)).Where(t => t.Item1 != without).ToList();
            if (algorithm == "jump (reference)")
            {
                return h => $"t{JumpHash(h, targets.Count)}";
            }

            var table = HashPools.Build(algorithm, targets);
            return h => targets[table.Lookup(h)].Item1;
        }

        var ten = Of(10);
        var eleven = Of(11);
        var nine = Of(9);
        var before = hashes.Select(ten).ToArray();
        double Moved(Func<ulong, string> after) => hashes.Select((h, i) => before[i] != after(h) ? 1 : 0).Sum() / (double)hashes.Length;
        var added = hashes.Select(eleven).ToArray();
        var betweenOld = hashes.Where((_, i) => added[i] != before[i] && added[i] != "t10").Count() / (double)hashes.Length;
        var middle = algorithm == "jump (reference)" ? "n/a" : Moved(Of(10, "t4")).ToString("P2", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture,
            $"| {algorithm} | {MaxOverMean(before, 10):F3} | {Moved(eleven):P2} | {betweenOld:P2} | {Moved(nine):P2} | {middle} | {MaxOverMean(hashes.Select(Of(100)).ToArray(), 100):F3} |");
    }

    private static double MaxOverMean(string[] owners, int n) => owners.GroupBy(o => o).Max(g => g.Count()) / ((double)owners.Length / n);

    // Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm" (2014), as printed in the paper: only a
    // reference line for the table (it has no weights, no fallback order and no middle removal, so no policy uses it).
    private static int JumpHash(ulong key, int buckets)
    {
        long b = -1, j = 0;
        while (j < buckets)
        {
            b = j;
            key = (key * 2862933555777941757UL) + 1;
            j = (long)((b + 1) * ((double)(1L << 31) / ((key >> 33) + 1)));
        }

        return (int)b;
    }

    private static async Task<List<(Throughput.Result, Throughput.Result)>> PicksAsync(ServiceProvider provider, TimeSpan duration)
    {
        var store = provider.GetRequiredService<DispatchStore>();
        var db = provider.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var trivial = new RedisScript("return 1");
        var urls = Enumerable.Range(1, 4).Select(i => $"http://10.0.0.{i}:8080").ToList();
        foreach (var policy in Policies)
        {
            var pool = DispatchBench.Pool(policy, urls);
            await store.SaveAsync(policy, DispatchPolicyNames.TryParse(policy, out var p) && p.IsHashed()
                ? pool with { Hashing = new PoolHashing(new HashKeyRule(HashKeySource.Header, "X-Tenant")) }
                : pool);
        }

        var keys = Enumerable.Range(0, 10_000).Select(i => $"tenant-{i}").ToArray();
        var next = 0;
        string Key(HashKeyRule _) => keys[(uint)Interlocked.Increment(ref next) % keys.Length];
        var rows = new List<(Throughput.Result, Throughput.Result)>();
        foreach (var concurrency in new[] { 1, 16 })
        {
            var raw = await Throughput.MeasureAsync("EVALSHA return 1 (raw)", concurrency, duration, () => trivial.EvaluateAsync(db, [], []));
            foreach (var policy in Policies)
            {
                rows.Add((await Throughput.MeasureAsync($"pick {policy}", concurrency, duration, async () =>
                {
                    if ((await store.PickAsync(policy, keyOf: Key)).Status != PickStatus.Picked)
                    {
                        throw new InvalidOperationException($"pick {policy} failed");
                    }
                }), raw));
            }
        }

        return rows;
    }
}

/// <summary>Builds a table by policy name for the bench.</summary>
internal static class HashPools
{
    public static IConsistentHashTable Build(string policy, IReadOnlyList<(string Id, int Weight)> targets, int maglevSize = MaglevTable.DefaultSize) =>
        policy == "maglev" ? new MaglevTable(targets, maglevSize) : new RingHashTable(targets);
}
