using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Core.Redis;
using Serverless.Core.Search;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Index;
using Serverless.Core.Search.Query;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Search;

/// <summary>A query the index cannot answer must stay the problem of its own caller, never of the warm-up or the indexer.</summary>
[RedisBacked]
public sealed class PoisonQueryTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task FailingQueryIsNeverCountedAsHot()
    {
        var engine = new FailingQueries("poison");
        using var app = await new SearchWorld(services).StartAsync(engine.Install);
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones")]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => app.QueryAsync("poison"));
        await app.QueryAsync("wireless");
        await app.Get<HotQueries>().FlushAsync();

        Assert.Equal(["wireless"], (await app.Get<HotQueries>().TopAsync(10)).Select(q => q.Text));
    }

    [Fact(Timeout = 60_000)]
    public async Task WarmupSkipsAFailingHotQueryAndRefreshesTheRest()
    {
        var engine = new FailingQueries();
        var world = new SearchWorld(services);
        using var app = await world.StartAsync(engine.Install);
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones"), Products.Make("k", "Mechanical keyboard")]);
        await app.QueryAsync("wireless");
        await app.QueryAsync("keyboard");
        // The query answered before; now the index throws on it (a bad document, a bug): the warm-up must not stop there.
        engine.Fail("keyboard");
        await SearchWorld.SeedAsync(app, [Products.Make("e", "Wireless earbuds")]);

        var warmed = await ActionResults.ExecuteAsync(await app.Functions.Warmup(ActionResults.Request("POST"), Ct));

        using var other = await world.StartAsync();
        await other.Get<IndexSynchronizer>().CatchUpAsync(app.Index.Version, Ct);
        var next = await other.QueryAsync("wireless");
        Assert.Equal(200, warmed.Status);
        Assert.Equal(1, warmed.Json.GetProperty("warmed").GetInt32());
        Assert.Equal(CacheOutcome.HitL2, next.Cache);
        Assert.Equal(2, next.Result.Total);
    }

    [Fact(Timeout = 60_000)]
    public async Task WarmupDropsAnUndecodableHotQueryAndRefreshesTheRest()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones")]);
        await app.QueryAsync("wireless");
        var set = app.Get<RedisKeys>().Tagged("search", "hot", "queries");
        // A hot-set member that is not a query (written by another version of the app, or by hand).
        await app.Database.SortedSetAddAsync(set, "{ not a query", 1_000_000);

        var warmed = await ActionResults.ExecuteAsync(await app.Functions.Warmup(ActionResults.Request("POST"), Ct));

        Assert.Equal(200, warmed.Status);
        Assert.Equal(1, warmed.Json.GetProperty("warmed").GetInt32());
        Assert.Null(await app.Database.SortedSetScoreAsync(set, "{ not a query"));
    }

    [Fact(Timeout = 60_000)]
    public async Task IndexerAppliesTheChangeWhenTheWarmupFails()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones")]);
        // The warm-up's own Redis calls fail (here: its key holds the wrong type, WRONGTYPE), after the change is logged.
        await app.Database.StringSetAsync(app.Get<RedisKeys>().Tagged("search", "hot", "queries"), "not a sorted set");

        var change = new CatalogChange([Products.Make("n", "Wireless earbuds")], []);
        var version = await app.Get<CatalogIndexer>().ProcessAsync(JsonSerializer.Serialize(change, CatalogJson.Default.CatalogChange), Ct);

        Assert.NotNull(version);
        Assert.Equal(2, (await app.QueryAsync("wireless")).Result.Total);
    }

    /// <summary>Wraps the real index so chosen query texts throw (a fault injector, not a fake).</summary>
    private sealed class FailingQueries(params string[] failing)
    {
        private readonly ConcurrentDictionary<string, bool> _failing = new(failing.Select(t => KeyValuePair.Create(t, true)), StringComparer.Ordinal);

        public void Fail(string text) => _failing[text] = true;

        public void Install(IServiceCollection services) =>
            services.AddSingleton<ISearchEngine>(sp => new Engine(this, sp.GetRequiredService<SearchIndex>()));

        private sealed class Engine(FailingQueries owner, ISearchEngine inner) : ISearchEngine
        {
            public SearchResult Search(SearchQuery query) =>
                owner._failing.ContainsKey(query.Text) ? throw new InvalidOperationException("query fails in the index (injected)") : inner.Search(query);
        }
    }
}
