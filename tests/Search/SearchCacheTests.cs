using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search;
using Serverless.Core.Search.Index;
using Serverless.Core.Search.Query;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Search;

[RedisBacked]
public sealed class SearchCacheTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task SameQueryTwiceIsAnL1HitAndASecondInstanceGetsAnL2Hit()
    {
        var world = new SearchWorld(services);
        using var first = await world.StartAsync();
        using var second = await world.StartAsync();
        await SearchWorld.SeedAsync(first, [Products.Make("h", "Wireless headphones")]);
        await second.Get<IndexSynchronizer>().CatchUpAsync(first.Index.Version, Ct);

        Assert.Equal(CacheOutcome.Miss, (await first.QueryAsync("wireless")).Cache);
        Assert.Equal(CacheOutcome.HitL1, (await first.QueryAsync("wireless")).Cache);
        Assert.Equal(CacheOutcome.HitL2, (await second.QueryAsync("wireless")).Cache);
        Assert.Equal(CacheOutcome.HitL1, (await second.QueryAsync("wireless")).Cache);
        Assert.Equal(1, first.Index.SearchCount + second.Index.SearchCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task ARepeatedL1HitSkipsFusionCacheWithinASyncIntervalAndARemovalThereIsSeenAfterIt()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones")]);
        var fusion = app.Get<SearchCache>().Fusion;
        var fusionHits = 0;
        fusion.Events.Memory.Hit += (_, _) => Interlocked.Increment(ref fusionHits);
        var interval = app.Get<IOptions<SearchOptions>>().Value.SyncInterval;

        Assert.Equal(CacheOutcome.Miss, (await app.QueryAsync("wireless")).Cache);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(CacheOutcome.HitL1, (await app.QueryAsync("wireless")).Cache);
        }

        // FusionCache is asked once, then once more per sync interval that passed (however busy the machine).
        var allowed = 1 + (int)Math.Ceiling(clock.Elapsed / interval);
        Assert.True(fusionHits <= allowed, $"{fusionHits} FusionCache hits for 200 searches in {clock.Elapsed.TotalMilliseconds:F0} ms (at most {allowed})");

        await fusion.RemoveAsync(SearchService.Key(new SearchRequest("wireless").Parse().Query!, app.Index.Version), token: Ct);
        var removed = System.Diagnostics.Stopwatch.StartNew();
        while ((await app.QueryAsync("wireless")).Cache == CacheOutcome.HitL1)
        {
            Assert.True(removed.Elapsed < TimeSpan.FromSeconds(10), "the removed entry was still served from memory after 10 s");
            await Task.Yield();
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task EquivalentSpellingsShareOneEntry()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones", brand: "Sony")]);

        var first = await app.Search.SearchAsync(new SearchRequest("  Wireless   HEADPHONES ", Brand: "sony", Category: "Headphones").Parse().Query!, Ct);
        var fullWidth = await app.Search.SearchAsync(new SearchRequest("ｗｉｒｅｌｅｓｓ\u3000headphones", Category: "HEADPHONES", Brand: "SONY").Parse().Query!, Ct);

        Assert.Equal(CacheOutcome.Miss, first.Cache);
        Assert.Equal(CacheOutcome.HitL1, fullWidth.Cache);
        Assert.Equal(1, app.Index.SearchCount);
    }

    [Fact(Timeout = 60_000)]
    public async Task TwoHundredConcurrentColdQueriesOnTwoInstancesSearchTheIndexOnce()
    {
        var world = new SearchWorld(services);
        using var first = await world.StartAsync();
        using var second = await world.StartAsync();
        await SearchWorld.SeedAsync(first, [Products.Make("h", "Wireless headphones")]);
        await second.Get<IndexSynchronizer>().CatchUpAsync(first.Index.Version, Ct);

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => (i % 2 == 0 ? first : second).QueryAsync("wireless"), Ct)));

        Assert.Equal(1, first.Index.SearchCount + second.Index.SearchCount);
        Assert.Single(responses, r => r.Cache == CacheOutcome.Miss);
        Assert.All(responses, r => Assert.Equal("h", Assert.Single(r.Result.Hits).Id));
    }

    /// <summary>
    /// A search slower than Search:LockTimeout (a busy machine, or a heavy query): requests for the same cold key on
    /// the other instance and on the same one wait for it instead of searching the index again when their lock wait
    /// times out. Fails if a second search of the key starts while the first is still running.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task ColdQueryWaitsPastTheLockTimeoutForASlowSearchOnAnotherInstance()
    {
        var slow = new SlowFirstSearch(TimeSpan.FromSeconds(3));
        var world = new SearchWorld(services, new() { ["Search:LockTimeout"] = "00:00:00.200" });
        using var first = await world.StartAsync(s => s.AddSingleton<ISearchEngine>(sp => slow.Wrap(sp.GetRequiredService<SearchIndex>())));
        using var second = await world.StartAsync(s => s.AddSingleton<ISearchEngine>(sp => slow.Wrap(sp.GetRequiredService<SearchIndex>())));
        await SearchWorld.SeedAsync(first, [Products.Make("h", "Wireless headphones")]);
        await second.Get<IndexSynchronizer>().CatchUpAsync(first.Index.Version, Ct);

        var computing = Task.Run(() => first.QueryAsync("wireless"), Ct);
        await slow.Started.WaitAsync(Ct);
        var waiters = await Task.WhenAll(Task.Run(() => second.QueryAsync("wireless"), Ct), Task.Run(() => first.QueryAsync("wireless"), Ct));
        var computed = await computing;

        Assert.Equal(1, slow.Searches);
        Assert.Equal(CacheOutcome.Miss, computed.Cache);
        Assert.All(waiters, r => Assert.NotEqual(CacheOutcome.Miss, r.Cache));
        Assert.All(waiters, r => Assert.Equal("h", Assert.Single(r.Result.Hits).Id));
    }

    [Fact(Timeout = 60_000)]
    public async Task ThousandCachedQueriesSpreadTheirRedisTtlsOverTheJitterWindow()
    {
        var jitter = TimeSpan.FromMinutes(10);
        var world = new SearchWorld(services, new() { ["Search:JitterMax"] = "00:10:00", ["Search:FailSafeMaxDuration"] = "01:00:00" });
        using var app = await world.StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones")]);

        for (var i = 0; i < 1_000; i++)
        {
            await app.QueryAsync($"wireless {i}");
        }

        var ttls = new List<TimeSpan>();
        foreach (var key in await CachedResultKeysAsync(app))
        {
            if (await app.Database.KeyTimeToLiveAsync(key) is { } ttl)
            {
                ttls.Add(ttl);
            }
        }

        Assert.Equal(1_000, ttls.Count);
        var spread = ttls.Max() - ttls.Min();
        Assert.True(spread >= jitter * 0.8, $"TTLs spread over {spread}, less than 80% of the {jitter} jitter window");
        Assert.All(ttls, t => Assert.InRange(t, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(70) + TimeSpan.FromSeconds(1)));
    }

    [Fact(Timeout = 30_000)]
    public async Task FailingIndexAfterExpiryServesTheStaleResult()
    {
        var failing = new SwitchableEngine();
        var world = new SearchWorld(services, new()
        {
            ["Search:CacheDuration"] = "00:00:00.300", ["Search:MemoryCacheDuration"] = "00:00:00.300", ["Search:JitterMax"] = "00:00:00",
            ["Search:FailSafeThrottleDuration"] = "00:00:05",
        });
        using var app = await world.StartAsync(s => s.AddSingleton<ISearchEngine>(sp => failing.Wrap(sp.GetRequiredService<SearchIndex>())));
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones")]);
        var fresh = await app.QueryAsync("wireless");

        await Task.Delay(600, Ct);
        failing.Fail = true;
        var stale = await app.QueryAsync("wireless");

        Assert.Equal(CacheOutcome.Miss, fresh.Cache);
        Assert.Equal(CacheOutcome.Stale, stale.Cache);
        Assert.Equal("h", Assert.Single(stale.Result.Hits).Id);
        var http = await ActionResults.ExecuteAsync(await app.Functions.Search(ActionResults.Request(query: "q=wireless"), Ct));
        Assert.Equal(200, http.Status);
    }

    [Fact(Timeout = 30_000)]
    public async Task LargeResultsAreStoredCompressedInRedis()
    {
        var world = new SearchWorld(services);
        using var app = await world.StartAsync();
        await SearchWorld.SeedAsync(app, Enumerable.Range(0, 100).Select(i => Products.Make($"p{i}", $"Wireless headphones model {i} with a long descriptive title")));

        var big = await app.Search.SearchAsync(new SearchRequest("wireless", Size: "100").Parse().Query!, Ct);
        var small = await app.QueryAsync("nothing matches this");

        var payloads = new Dictionary<string, byte[]>();
        foreach (var key in await CachedResultKeysAsync(app))
        {
            payloads[key] = (byte[])(await app.Database.HashGetAsync(key, "data"))!;
        }

        Assert.Equal(100, big.Result.Hits.Count);
        Assert.Equal(0, small.Result.Total);
        var compressed = Assert.Single(payloads, p => p.Key.Contains("n=100", StringComparison.Ordinal)).Value;
        Assert.Equal(1, compressed[0]);
        Assert.True(compressed.Length < System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(big.Result).Length / 2);
        Assert.Equal(0, Assert.Single(payloads, p => p.Key.Contains("nothing", StringComparison.Ordinal)).Value[0]);
    }

    /// <summary>
    /// Wraps the real index so its first search takes <paramref name="duration"/> (a slow index, not a fake); counts
    /// every search that reaches it, on any instance.
    /// </summary>
    private sealed class SlowFirstSearch(TimeSpan duration)
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _searches;

        public TimeSpan Duration { get; } = duration;

        public Task Started => _started.Task;

        public int Searches => Volatile.Read(ref _searches);

        public ISearchEngine Wrap(ISearchEngine inner) => new Engine(this, inner);

        private sealed class Engine(SlowFirstSearch owner, ISearchEngine inner) : ISearchEngine
        {
            public SearchResult Search(SearchQuery query)
            {
                if (Interlocked.Increment(ref owner._searches) == 1)
                {
                    owner._started.SetResult();
                    // The index is busy for longer than the lock wait: this is the condition under test, not a wait for another step.
                    Thread.Sleep(owner.Duration);
                }

                return inner.Search(query);
            }
        }
    }

    // Cached results are FusionCache's distributed entries: {prefix}search:v{catalog version}:{query}.
    private static async Task<List<string>> CachedResultKeysAsync(SearchApp app)
    {
        var start = app.Prefix + "search:v";
        return [.. (await app.KeysAsync()).Where(k => k.StartsWith(start, StringComparison.Ordinal) && k.Length > start.Length && char.IsAsciiDigit(k[start.Length]))];
    }

    /// <summary>Wraps the real index so a test can make it fail (a fault injector, not a fake).</summary>
    private sealed class SwitchableEngine
    {
        public bool Fail { get; set; }

        public ISearchEngine Wrap(ISearchEngine inner) => new Engine(this, inner);

        private sealed class Engine(SwitchableEngine owner, ISearchEngine inner) : ISearchEngine
        {
            public SearchResult Search(SearchQuery query) =>
                owner.Fail ? throw new InvalidOperationException("index down (injected)") : inner.Search(query);
        }
    }
}
