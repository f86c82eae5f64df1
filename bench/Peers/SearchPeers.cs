using System.ComponentModel;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serverless.Core.Search;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Index;
using Serverless.Core.Search.Query;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using static Serverless.Bench.Harness.SideBySide;

namespace Serverless.Bench.Peers;

/// <summary>
/// Search cache hits against HybridCache (Microsoft.Extensions.Caching.Hybrid) over <see cref="RedisCache"/> on the
/// same connection. HybridCache is given an immutable cached type (sealed, <c>[ImmutableObject(true)]</c>), so its L1
/// hit hands out the cached instance instead of deserializing a copy — its fastest mode. Both build the cache key from
/// the query on every call, as a caller must.
/// </summary>
internal static class SearchPeers
{
    private static readonly HybridCacheEntryOptions L2Only = new() { Flags = HybridCacheEntryFlags.DisableLocalCache };
    private static readonly FusionCacheEntryOptions MemoryOnly = new() { SkipDistributedCacheRead = true, SkipDistributedCacheWrite = true };
    private static readonly FusionCacheEntryOptions FusionL2Only = new() { SkipMemoryCacheRead = true, SkipMemoryCacheWrite = true };

    public static async Task<(List<Sample> L1, List<Sample> L2)> HitsAsync(PeerContext context)
    {
        var index = await OpenIndexAsync(context.Provider, 2_000);
        var search = context.Provider.GetRequiredService<SearchService>();
        var fusion = context.Provider.GetRequiredService<SearchCache>().Fusion;
        var query = new SearchRequest("wireless headphones").Parse().Query!;
        await using var peer = Hybrid(context.Connection);
        var hybrid = peer.GetRequiredService<HybridCache>();
        var engine = (ISearchEngine)index;
        await search.SearchAsync(query);
        await hybrid.GetOrCreateAsync(HybridKey(query, index.Version), (engine, query), static (s, _) => ValueTask.FromResult(new CachedPage(s.engine.Search(s.query))));
        using var memory = new MemoryCache(new MemoryCacheOptions());
        memory.Set("k", engine.Search(query));

        var fusionKey = SearchService.Key(query, index.Version);
        var l1 = await context.RowAsync("search L1 hit",
            new Contender("ours: SearchService.SearchAsync", "ours", () => Discard(search.SearchAsync(query))),
            new Contender("HybridCache, immutable type", "peer", () => Discard(hybrid.GetOrCreateAsync(HybridKey(query, index.Version), (engine, query), static (s, _) => ValueTask.FromResult(new CachedPage(s.engine.Search(s.query)))))),
            new Contender("FusionCache.TryGet alone (ours asks it once per sync interval)", "raw", () => { fusion.TryGet<SearchResult>(fusionKey, MemoryOnly); return ValueTask.CompletedTask; }),
            new Contender("MemoryCache.TryGetValue (raw)", "raw", () => { memory.TryGetValue("k", out _); return ValueTask.CompletedTask; }));

        var raw = context.Connection.GetDatabase();
        await raw.StringSetAsync("raw:payload", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(engine.Search(query)));
        var l2 = await context.RowAsync("search L2 hit, empty L1",
            new Contender("ours: FusionCache L2 read", "ours", Of(async () =>
            {
                if (!(await fusion.TryGetAsync<SearchResult>(fusionKey, FusionL2Only)).HasValue)
                {
                    throw new InvalidOperationException("expected an L2 hit");
                }
            })),
            new Contender("HybridCache over RedisCache", "peer", async () => await hybrid.GetOrCreateAsync<int, CachedPage>(HybridKey(query, index.Version), 0,
                static (_, _) => throw new InvalidOperationException("expected an L2 hit"), L2Only)),
            new Contender("GET same payload (raw)", "raw", Of(() => raw.StringGetAsync("raw:payload"))));
        return (l1, l2);
    }

    /// <summary>
    /// 200 concurrent requests for one cold query, 100 on each of two app instances sharing Redis: how often the index
    /// (the factory) runs. HybridCache coalesces within an instance only.
    /// </summary>
    public static async Task<(int Ours, int Peer)> StampedeAsync(PeerContext context)
    {
        const int requests = 200;
        await using var second = PeerContext.Build(context.Redis, context.Azurite, null);
        var instances = new[] { context.Provider, second };
        foreach (var instance in instances)
        {
            await OpenIndexAsync(instance, 2_000);
        }

        var ours = 0;
        var searchesBefore = instances.Sum(i => i.GetRequiredService<SearchIndex>().SearchCount);
        var cold = new SearchRequest("running shoes", Sort: "price_desc").Parse().Query!;
        await Task.WhenAll(Enumerable.Range(0, requests).Select(i => Task.Run(async () =>
        {
            var response = await instances[i % 2].GetRequiredService<SearchService>().SearchAsync(cold);
            if (response.Cache == CacheOutcome.Miss)
            {
                Interlocked.Increment(ref ours);
            }
        })));

        var searched = instances.Sum(i => i.GetRequiredService<SearchIndex>().SearchCount) - searchesBefore;
        if (searched != ours)
        {
            throw new InvalidOperationException($"{ours} responses said Miss but the index ran {searched} times.");
        }

        var peers = new[] { Hybrid(context.Connection), Hybrid(second.GetRequiredService<IConnectionMultiplexer>()) };
        var runs = 0;
        var peerCold = new SearchRequest("hiking boots", Sort: "price_desc").Parse().Query!;
        await Task.WhenAll(Enumerable.Range(0, requests).Select(i => Task.Run(async () =>
        {
            var engine = instances[i % 2].GetRequiredService<ISearchEngine>();
            await peers[i % 2].GetRequiredService<HybridCache>().GetOrCreateAsync(HybridKey(peerCold, 1), (engine, peerCold), (s, _) =>
            {
                Interlocked.Increment(ref runs);
                return ValueTask.FromResult(new CachedPage(s.engine.Search(s.peerCold)));
            });
        })));
        foreach (var peer in peers)
        {
            await peer.DisposeAsync();
        }

        return (ours, runs);
    }

    private static async Task<SearchIndex> OpenIndexAsync(IServiceProvider provider, int products)
    {
        var index = provider.GetRequiredService<SearchIndex>();
        if (index.Ready.IsCompleted)
        {
            return index;
        }

        index.Open(null, 1, "0-0");
        index.AddAll(ProductGenerator.Generate(products, seed: 42));
        await index.Ready;
        return index;
    }

    private static ServiceProvider Hybrid(IConnectionMultiplexer connection)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IDistributedCache>(new RedisCache(Options.Create(new RedisCacheOptions
        {
            ConnectionMultiplexerFactory = () => Task.FromResult(connection),
            InstanceName = "peer-hybrid:",
        })));
        services.AddHybridCache(o => o.DefaultEntryOptions = new() { Expiration = TimeSpan.FromMinutes(10), LocalCacheExpiration = TimeSpan.FromMinutes(1) });
        return services.BuildServiceProvider();
    }

    private static string HybridKey(SearchQuery query, long version) =>
        string.Concat("v", version.ToString(System.Globalization.CultureInfo.InvariantCulture), ":", query.CanonicalKey);

    private static ValueTask Discard<T>(ValueTask<T> pending) => pending.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(pending.AsTask());

    /// <summary>The peer's cached type: sealed and marked immutable, so HybridCache hands out the cached instance.</summary>
    [ImmutableObject(true)]
    public sealed class CachedPage(SearchResult result)
    {
        public SearchResult Result { get; } = result;
    }
}
