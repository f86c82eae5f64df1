using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Bench.Dispatch;
using Serverless.Core.Dispatch;
using Serverless.Core.Locking;
using Serverless.Core.Sessions;
using Serverless.Testing;

namespace Serverless.Bench.Cluster;

/// <summary>
/// One app instance (the same service registrations the Functions app uses) on one Redis topology, with a session,
/// a 4-target pool and per-worker lock names ready, so single node and cluster run exactly the same calls.
/// </summary>
internal sealed class TopologyApp : IAsyncDisposable
{
    private const string PoolName = "bench-p2c";

    // Long enough that no lease ends mid-pair on a busy machine; every pair releases its lease anyway.
    private static readonly TimeSpan LockLease = TimeSpan.FromSeconds(10);

    private static readonly Dictionary<string, JsonElement> Change = new(StringComparer.Ordinal)
    {
        ["attr3"] = JsonSerializer.SerializeToElement("changed"),
    };

    private readonly ServiceProvider _provider;
    private readonly RedisSessionStore _sessions;
    private readonly RedisLock _locks;
    private readonly DispatchStore _dispatch;
    private readonly string _sessionId;
    private readonly ConcurrentDictionary<int, ConcurrentBag<string>> _lockNames = new();

    private TopologyApp(string label, ServiceProvider provider, string sessionId)
    {
        Label = label;
        _provider = provider;
        _sessions = provider.GetRequiredService<RedisSessionStore>();
        _locks = provider.GetRequiredService<RedisLock>();
        _dispatch = provider.GetRequiredService<DispatchStore>();
        _sessionId = sessionId;
    }

    public string Label { get; }

    public static async Task<TopologyApp> StartAsync(string label, RedisServer redis, string storageConnectionString)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["AzureWebJobsStorage"] = storageConnectionString,
            // As in the dispatch bench: un-recorded pick leases expire within a measurement instead of piling up.
            ["Dispatch:LeaseDuration"] = "00:00:02",
            ["Dispatch:Timeout"] = "00:00:01",
        }).Build();
        var provider = new ServiceCollection().AddLogging().AddServerless(configuration).BuildServiceProvider();
        try
        {
            var attributes = Enumerable.Range(0, 10).ToDictionary(i => $"attr{i}", i => JsonSerializer.SerializeToElement($"value-{i}-{new string('x', 16)}"));
            // Bound to a principal: on a cluster that is the session hash plus the principal index, in one hash slot.
            var created = await provider.GetRequiredService<RedisSessionStore>().CreateAsync("bench-user", attributes);
            var urls = Enumerable.Range(1, 4).Select(i => $"http://10.0.0.{i}:8080").ToList();
            await provider.GetRequiredService<DispatchStore>().SaveAsync(PoolName, DispatchBench.Pool("power-of-two-choices", urls));
            return new TopologyApp(label, provider,
                created.Session?.Id ?? throw new InvalidOperationException($"Creating the bench session failed on the {label} Redis: {created.Status}."));
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
    }

    public async Task SessionGetAsync() => Expect((await _sessions.GetAsync(_sessionId)).Status == SessionStatus.Ok, "session get");

    public async Task SessionSetOneAttributeAsync() => Expect((await _sessions.UpdateAsync(_sessionId, Change)).Status == SessionStatus.Ok, "session set");

    public async Task PickAsync() => Expect((await _dispatch.PickAsync(PoolName)).Status == PickStatus.Picked, "dispatch pick");

    /// <summary>
    /// An acquire+release pair on a lock no other worker holds (one name per worker, from a pool), so this measures
    /// the lock's own cost, not waiting. On a cluster the names fall in different slots, so the pairs spread over the shards.
    /// </summary>
    public Func<Task> LockPair(int concurrency)
    {
        var names = _lockNames.GetOrAdd(concurrency, c => [.. Enumerable.Range(0, c).Select(i => $"bench-{c}-{i}")]);
        return async () =>
        {
            names.TryTake(out var name);
            var grant = await _locks.TryAcquireAsync(name!, LockLease);
            Expect(grant.Holds, "lock acquire");
            var release = await _locks.ReleaseAsync(name!, grant.Owner!, grant.Token);
            Expect(release.Outcome == LockOutcome.Released, "lock release");
            names.Add(name!);
        };
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();

    // A failed call must stop the run: a benchmark of refusals (or of CROSSSLOT errors) would read as a fast one.
    private void Expect(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"{what} did not succeed on the {Label} Redis.");
        }
    }
}
