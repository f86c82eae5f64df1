using System.Diagnostics;
using System.Globalization;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Bench.Harness;
using Serverless.Core.Locking;
using Serverless.Core.Redis;
using Serverless.Orchestrations.Counters;
using Serverless.Orchestrations.Locks;
using Serverless.Testing;
using Serverless.Testing.Durable;
using StackExchange.Redis;

namespace Serverless.Bench.Locks;

/// <summary>
/// Redis lock acquire+release pairs against two raw EVALSHA round trips (same server, same run), then the entity lock
/// and counter on the durable backend over Azurite, next to the published ~64 ops/s of one entity on Azure Storage.
/// </summary>
public static class LockBench
{
    private const double PublishedOneEntityOpsPerSecond = 64;

    public static async Task RunAsync(TimeSpan duration)
    {
        var report = new Report("Locks: Redis lock vs raw EVALSHA; entity lock and counters on the durable backend (Azurite)");
        await using var redis = await RedisServer.StartAsync();
        await using var azurite = await AzuriteServer.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
        }).Build();
        await using var provider = new ServiceCollection().AddLogging().AddServerless(configuration).BuildServiceProvider();

        report.Line($"Redis: {redis.Flavour}; {duration.TotalSeconds:F0} s per measurement after warm-up; ratio = ours / raw. " +
            "Client and redis-server share the machine's 2 cores.").Line("");
        report.Table(await RedisRowsAsync(provider, duration));
        report.Line("Entity figures (durable backend: DurableTask.Core + AzureStorage on Azurite, 2 partitions, 200 ms max queue polling):").Line("");
        report.Line("| operation | parallel loops | operations | seconds | ops/s | vs published 64 ops/s (one entity, Azure Storage) |");
        report.Line("|---|---:|---:|---:|---:|---:|");
        foreach (var line in await EntityRowsAsync(azurite.ConnectionString, provider))
        {
            report.Line(line);
        }

        await report.SaveAsync("locks");
    }

    private static async Task<List<(Throughput.Result, Throughput.Result)>> RedisRowsAsync(IServiceProvider provider, TimeSpan duration)
    {
        var locks = provider.GetRequiredService<RedisLock>();
        var db = provider.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var raw = new RedisScript("return 1");
        var lease = TimeSpan.FromSeconds(10);
        var rows = new List<(Throughput.Result, Throughput.Result)>();
        foreach (var concurrency in new[] { 1, 16 })
        {
            var baseline = await Throughput.MeasureAsync("2 x EVALSHA 'return 1' (raw)", concurrency, duration, async () =>
            {
                await raw.EvaluateAsync(db, [], []);
                await raw.EvaluateAsync(db, [], []);
            });

            // A lock per worker (taken from a pool): this measures the lock's own cost, not waiting for another holder.
            var names = new System.Collections.Concurrent.ConcurrentBag<string>(
                Enumerable.Range(0, concurrency).Select(i => $"bench-{concurrency}-{i}"));
            var pairs = await Throughput.MeasureAsync("lock acquire+release pair", concurrency, duration, async () =>
            {
                names.TryTake(out var name);
                var grant = await locks.TryAcquireAsync(name!, lease);
                await locks.ReleaseAsync(name!, grant.Owner ?? throw new InvalidOperationException("A pooled lock was busy."), grant.Token);
                names.Add(name!);
            });
            rows.Add((pairs, baseline));
        }

        return rows;
    }

    private static async Task<List<string>> EntityRowsAsync(string connectionString, IServiceProvider services)
    {
        await using var backend = await DurableBackend.StartAsync(connectionString, registry =>
        {
            registry.AddLockAndCounterTasks();
            registry.AddOrchestrator<LockPairsOrchestrator>();
            registry.AddOrchestrator<CounterCallsOrchestrator>();
        }, services);
        var client = backend.Client;
        await LoopsAsync(client, nameof(CounterCallsOrchestrator), 1, 3); // warm-up: hub queues and tables are hot afterwards

        var lines = new List<string>
        {
            Row("counter add signals, one entity", 1, 500, await SignalsAsync(client, 500)),
            Row("counter add calls from an orchestration, one entity", 1, 100, await LoopsAsync(client, nameof(CounterCallsOrchestrator), 1, 100)),
            Row("entity lock acquire+release pairs, one lock", 1, 60, await LoopsAsync(client, nameof(LockPairsOrchestrator), 1, 60)),
            Row("entity lock acquire+release pairs, one lock each", 8, 8 * 30, await LoopsAsync(client, nameof(LockPairsOrchestrator), 8, 30)),
        };
        return lines;
    }

    private static async Task<TimeSpan> SignalsAsync(DurableTaskClient client, int count)
    {
        var id = CounterEntity.IdFor("signals-" + Guid.NewGuid().ToString("N")[..8]);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ => client.Entities.SignalEntityAsync(id, nameof(CounterEntity.Add), 1L)));
        while ((await client.Entities.GetEntityAsync<long>(id))?.State != count)
        {
            await Task.Delay(50);
        }

        return clock.Elapsed;
    }

    private static async Task<TimeSpan> LoopsAsync(DurableTaskClient client, string orchestrator, int loops, int rounds)
    {
        var clock = Stopwatch.StartNew();
        var ids = await Task.WhenAll(Enumerable.Range(0, loops).Select(i =>
            client.ScheduleNewOrchestrationInstanceAsync(orchestrator, new BenchLoop($"bench-{Guid.NewGuid():N}"[..20], rounds))));
        foreach (var id in ids)
        {
            var done = await client.WaitForCompletionAsync(id, TimeSpan.FromMinutes(2));
            if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
            {
                throw new InvalidOperationException($"{orchestrator} {id} ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
            }
        }

        return clock.Elapsed;
    }

    private static string Row(string name, int loops, int operations, TimeSpan elapsed)
    {
        var perSecond = operations / elapsed.TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {loops} | {operations} | {elapsed.TotalSeconds:F1} | {perSecond:F1} | {perSecond / PublishedOneEntityOpsPerSecond:F2}x |");
    }
}
