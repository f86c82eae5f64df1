using Microsoft.Extensions.DependencyInjection;
using Serverless.Core.Search;
using Serverless.Core.Search.Index;
using Serverless.Core.Search.Query;
using Serverless.Core.Telemetry;
using Serverless.Testing;
using Serverless.Tests.Search;
using Xunit;

namespace Serverless.Tests.Telemetry;

[RedisBacked]
[Collection(TelemetryCollection.Name)]
public sealed class CacheTelemetryTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task LookupsAreCountedByTheLayerThatAnsweredAndTheirOutcome()
    {
        var world = new SearchWorld(services);
        using var first = await world.StartAsync();
        using var second = await world.StartAsync();
        await SearchWorld.SeedAsync(first, [Products.Make("h", "Wireless headphones")]);
        await second.Get<IndexSynchronizer>().CatchUpAsync(first.Index.Version, Ct);
        using var telemetry = new TelemetryCapture();
        var lookups = LookupsFrom(telemetry);

        await first.QueryAsync("wireless");
        await first.QueryAsync("wireless");
        await first.QueryAsync("wireless");
        await second.QueryAsync("wireless");

        Assert.Equal(1, lookups("index", "miss"));
        Assert.Equal(2, lookups("memory", "hit-l1"));
        Assert.Equal(1, lookups("redis", "hit-l2"));
        Assert.Equal(0, telemetry.Sum("serverless.cache.stampede.waits"));
    }

    [Fact(Timeout = 30_000)]
    public async Task AnExpiredResultServedBecauseTheIndexFailedIsAStaleLookup()
    {
        var failing = new FailingEngine();
        var world = new SearchWorld(services, new()
        {
            ["Search:CacheDuration"] = "00:00:00.300", ["Search:MemoryCacheDuration"] = "00:00:00.300", ["Search:JitterMax"] = "00:00:00",
            ["Search:FailSafeThrottleDuration"] = "00:00:05",
        });
        using var app = await world.StartAsync(s => s.AddSingleton<ISearchEngine>(sp => failing.Wrap(sp.GetRequiredService<SearchIndex>())));
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones")]);
        using var telemetry = new TelemetryCapture();
        var lookups = LookupsFrom(telemetry);
        await app.QueryAsync("wireless");

        // The condition under test is an expired entry: time has to pass.
        await Task.Delay(600, Ct);
        failing.Fail = true;
        var stale = await app.QueryAsync("wireless");

        Assert.Equal(CacheOutcome.Stale, stale.Cache);
        Assert.Equal(1, lookups("fail-safe", "stale"));
        Assert.Equal(1, lookups("index", "miss"));
    }

    [Fact(Timeout = 60_000)]
    public async Task ALookupThatWaitsForAnotherInstanceComputingTheSameKeyIsAStampedeWait()
    {
        var slow = new SlowFirstEngine(TimeSpan.FromSeconds(2));
        var world = new SearchWorld(services);
        using var first = await world.StartAsync(s => s.AddSingleton<ISearchEngine>(sp => slow.Wrap(sp.GetRequiredService<SearchIndex>())));
        using var second = await world.StartAsync(s => s.AddSingleton<ISearchEngine>(sp => slow.Wrap(sp.GetRequiredService<SearchIndex>())));
        await SearchWorld.SeedAsync(first, [Products.Make("h", "Wireless headphones")]);
        await second.Get<IndexSynchronizer>().CatchUpAsync(first.Index.Version, Ct);
        using var telemetry = new TelemetryCapture();

        var computing = Task.Run(() => first.QueryAsync("wireless"), Ct);
        await slow.Started.WaitAsync(Ct);
        var waiter = await second.QueryAsync("wireless");
        await computing;

        // What is under test is that the wait is counted. Which layer then answers the waiter is not: on a busy machine
        // its L2 read after the wait can pass the 1 s soft timeout, and the waiter computes (a miss) by design.
        Assert.Equal(1, waiter.Result.Total);
        Assert.Equal(1, telemetry.Sum("serverless.cache.stampede.waits", (CacheMetrics.CacheTag, "search")));
        Assert.Equal(1, telemetry.Count("serverless.cache.stampede.wait.duration", (CacheMetrics.CacheTag, "search")));
    }

    // Lookups are an observable counter of the process's totals: each test counts from what it found at its start.
    private static Func<string, string, long> LookupsFrom(TelemetryCapture telemetry)
    {
        string[] layers = ["memory", "redis", "index", "fail-safe"];
        string[] outcomes = ["hit-l1", "hit-l2", "miss", "stale"];
        var start = layers.Zip(outcomes).ToDictionary(p => p, p => Total(telemetry, p.First, p.Second));
        return (layer, outcome) => Total(telemetry, layer, outcome) - start[(layer, outcome)];
    }

    private static long Total(TelemetryCapture telemetry, string layer, string outcome) =>
        telemetry.Sum("serverless.cache.lookups", (CacheMetrics.LayerTag, layer), (CacheMetrics.OutcomeTag, outcome));

    /// <summary>Wraps the real index so a test can make it fail (a fault injector, not a fake).</summary>
    private sealed class FailingEngine
    {
        public bool Fail { get; set; }

        public ISearchEngine Wrap(ISearchEngine inner) => new Engine(this, inner);

        private sealed class Engine(FailingEngine owner, ISearchEngine inner) : ISearchEngine
        {
            public SearchResult Search(SearchQuery query) =>
                owner.Fail ? throw new InvalidOperationException("index down (injected)") : inner.Search(query);
        }
    }

    /// <summary>Wraps the real index so its first search is slow (a busy index, not a fake).</summary>
    private sealed class SlowFirstEngine(TimeSpan duration)
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _searches;

        public TimeSpan Duration { get; } = duration;

        public Task Started => _started.Task;

        public ISearchEngine Wrap(ISearchEngine inner) => new Engine(this, inner);

        private sealed class Engine(SlowFirstEngine owner, ISearchEngine inner) : ISearchEngine
        {
            public SearchResult Search(SearchQuery query)
            {
                if (Interlocked.Increment(ref owner._searches) == 1)
                {
                    owner._started.SetResult();
                    // The index is busy while the other instance asks: the condition under test, not a wait for a step.
                    Thread.Sleep(owner.Duration);
                }

                return inner.Search(query);
            }
        }
    }
}
