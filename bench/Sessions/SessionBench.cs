using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Bench.Harness;
using Serverless.Core.Sessions;
using Serverless.Testing;
using StackExchange.Redis;

namespace Serverless.Bench.Sessions;

/// <summary>Session get / set-one-attribute against raw HGETALL / HSET on the same Redis, same run.</summary>
public static class SessionBench
{
    public static async Task RunAsync(TimeSpan duration)
    {
        await using var redis = await RedisServer.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        }).Build();
        await using var provider = new ServiceCollection().AddLogging().AddServerless(configuration).BuildServiceProvider();
        var store = provider.GetRequiredService<RedisSessionStore>();
        var db = provider.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

        var attributes = Enumerable.Range(0, 10).ToDictionary(i => $"attr{i}", i => JsonSerializer.SerializeToElement($"value-{i}-{new string('x', 16)}"));
        var session = (await store.CreateAsync("bench-user", attributes)).Session!;
        var rawKey = "raw:session";
        await db.HashSetAsync(rawKey, [.. attributes.Select(a => new HashEntry("a:" + a.Key, a.Value.GetRawText()))]);
        var change = new Dictionary<string, JsonElement> { ["attr3"] = JsonSerializer.SerializeToElement("changed") };
        var counter = 0L;

        var rows = new List<(Throughput.Result, Throughput.Result)>();
        foreach (var concurrency in new[] { 1, 16 })
        {
            var rawGet = await Throughput.MeasureAsync("HGETALL (raw)", concurrency, duration, () => db.HashGetAllAsync(rawKey));
            var get = await Throughput.MeasureAsync("session get", concurrency, duration, () => store.GetAsync(session.Id));
            rows.Add((get, rawGet));
            var rawSet = await Throughput.MeasureAsync("HSET (raw)", concurrency, duration, () => db.HashSetAsync(rawKey, "a:attr3", Interlocked.Increment(ref counter)));
            var set = await Throughput.MeasureAsync("session set one attribute", concurrency, duration, () => store.UpdateAsync(session.Id, change));
            rows.Add((set, rawSet));
        }

        var keys = (await provider.GetRequiredService<IConnectionMultiplexer>().KeysOnEveryPrimaryAsync("sl:sess*")).Select(k => (RedisKey)k).ToList();

        var bytes = 0L;
        foreach (var key in keys)
        {
            bytes += (long)(await db.ExecuteAsync("MEMORY", "USAGE", key));
        }

        await new Report("Sessions: store vs raw StackExchange.Redis (same server, same run)")
            .Line($"Redis: {redis.Flavour}; {duration.TotalSeconds:F0} s per measurement after warm-up; ratio = ours / raw.")
            .Line("")
            .Table(rows)
            .Line($"Bytes in Redis for one 10-attribute session (hash + principal index, `MEMORY USAGE`): {bytes:N0} over {keys.Count} keys.")
            .SaveAsync("sessions");
    }
}
