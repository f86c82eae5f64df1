using System.Text.Json;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Index;
using Serverless.Testing;
using Xunit;
using static Serverless.Tests.Search.CatalogRedeliveryTests;

namespace Serverless.Tests.Search;

/// <summary>
/// Deletes in a queue that keeps no order: a delete carries the time it was accepted and leaves a tombstone, so an
/// older delete never removes a newer product and an older upsert never brings a deleted one back.
/// </summary>
[RedisBacked]
public sealed class CatalogDeleteOrderTests(ServicesFixture services)
{
    // Products.Make dates products from this day back.
    private static readonly DateTimeOffset Day = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task AnOlderDeleteArrivingAfterANewerUpsertLeavesTheProduct()
    {
        using var app = await new SearchWorld(services).StartAsync();
        var delete = await EnqueuedMessageAsync(app, new CatalogChange([], ["h"], DeletedAt: Day.AddDays(-1)));
        var upsert = await EnqueuedMessageAsync(app, new CatalogChange([Products.Make("h", "Wireless headphones", price: 80)], []));
        var indexer = app.Get<CatalogIndexer>();
        var log = app.Get<CatalogChangeLog>();

        await indexer.ProcessAsync(upsert, Ct);
        var versionAfterUpsert = await log.CurrentVersionAsync();
        await indexer.ProcessAsync(delete, Ct);

        Assert.Equal(80, (await app.Get<CatalogStore>().GetAsync("h", Ct))!.Price);
        Assert.Equal(80, Assert.Single((await app.QueryAsync("wireless")).Result.Hits).Price);
        Assert.Equal(versionAfterUpsert, await log.CurrentVersionAsync());
    }

    [Fact(Timeout = 60_000)]
    public async Task AnOlderUpsertArrivingAfterANewerDeleteDoesNotBringItBack()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones", daysOld: 2)]);
        var upsert = await EnqueuedMessageAsync(app, new CatalogChange([Products.Make("h", "Wireless headphones", daysOld: 1)], []));
        var delete = await EnqueuedMessageAsync(app, new CatalogChange([], ["h"], DeletedAt: Day));
        var indexer = app.Get<CatalogIndexer>();

        await indexer.ProcessAsync(delete, Ct);
        await indexer.ProcessAsync(upsert, Ct);

        Assert.Null(await app.Get<CatalogStore>().GetAsync("h", Ct));
        Assert.Equal(0, (await app.QueryAsync("wireless")).Result.Total);
    }

    [Fact(Timeout = 60_000)]
    public async Task AnUpsertNewerThanTheDeleteBringsTheProductBack()
    {
        using var app = await new SearchWorld(services).StartAsync();
        var store = app.Get<CatalogStore>();
        await store.ApplyAsync(new CatalogChange([], ["h"], DeletedAt: Day.AddDays(-1)), Ct);

        var written = await store.ApplyAsync(new CatalogChange([Products.Make("h", "Wireless headphones", price: 90)], []), Ct);

        Assert.Equal(["h"], written.Upserts.Select(p => p.Id));
        Assert.Equal(90, (await store.GetAsync("h", Ct))!.Price);
    }

    [Fact(Timeout = 60_000)]
    public async Task AnIndexKeepsTheDeleteWhenTheLogHasItBeforeAnOlderUpsert()
    {
        var world = new SearchWorld(services);
        using var app = await world.StartAsync();
        var older = new CatalogChange([Products.Make("h", "Wireless headphones", daysOld: 1)], []);
        var delete = new CatalogChange([], ["h"], DeletedAt: Day);
        // Two indexers racing: each wrote the Table in time order, but their appends landed the other way round.
        await app.Get<CatalogStore>().ApplyAsync(older, Ct);
        await app.Get<CatalogStore>().ApplyAsync(delete, Ct);
        var log = app.Get<CatalogChangeLog>();
        await log.AppendAsync(delete);
        await app.Get<IndexSynchronizer>().CatchUpAsync(await log.AppendAsync(older), Ct);

        Assert.Equal(0, (await app.QueryAsync("wireless")).Result.Total);
    }

    [Fact(Timeout = 60_000)]
    public async Task ARebuildFromTheTableDoesNotShowTombstonedProducts()
    {
        var world = new SearchWorld(services);
        using (var first = await world.StartAsync())
        {
            var store = first.Get<CatalogStore>();
            await store.ApplyAsync(new CatalogChange([Products.Make("a", "Wireless headphones"), Products.Make("b", "Wireless earbuds")], []), Ct);
            await store.ApplyAsync(new CatalogChange([], ["a"], DeletedAt: Day), Ct);
        }

        using var cold = await world.StartAsync();

        var listed = new List<string>();
        await foreach (var product in cold.Get<CatalogStore>().ListAllAsync(Ct))
        {
            listed.Add(product.Id);
        }

        Assert.Equal(["b"], listed);
        Assert.Equal("b", Assert.Single((await cold.QueryAsync("wireless")).Result.Hits).Id);
    }

    [Fact(Timeout = 60_000)]
    public async Task AMessageWithoutADeleteTimeStillRemovesTheProduct()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones")]);
        // As queued before deletes carried a time.
        var legacy = JsonSerializer.Serialize(new CatalogChange([], ["h"], Id: "legacy1"), CatalogJson.Default.CatalogChange);

        await app.Get<CatalogIndexer>().ProcessAsync(legacy, Ct);

        Assert.DoesNotContain("deletedAt\":\"", legacy, StringComparison.Ordinal);
        Assert.Null(await app.Get<CatalogStore>().GetAsync("h", Ct));
        Assert.Equal(0, (await app.QueryAsync("wireless")).Result.Total);
    }

    [Fact(Timeout = 60_000)]
    public async Task ADeleteThroughTheApiCarriesTheTimeItWasAccepted()
    {
        using var app = await new SearchWorld(services).StartAsync();
        var before = TimeProvider.System.GetUtcNow();

        var response = await ActionResults.ExecuteAsync(await app.Catalog.Delete(ActionResults.Request("DELETE"), "h", Ct));
        var queue = app.Get<CatalogChangeQueue>().Queue;
        var message = (await queue.ReceiveMessageAsync(cancellationToken: Ct)).Value;
        var change = JsonSerializer.Deserialize(message.Body.ToString(), CatalogJson.Default.CatalogChange)!;

        Assert.Equal(202, response.Status);
        Assert.Equal(["h"], change.Deletes);
        Assert.InRange(change.DeletedAt!.Value, before, TimeProvider.System.GetUtcNow());
    }
}
