using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Index;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Search;

/// <summary>
/// Storage queues deliver at least once and in no fixed order: the indexer receives the same message again after a
/// failure, and an older change after a newer one.
/// </summary>
[RedisBacked]
public sealed class CatalogRedeliveryTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task TheSameMessageAppliedTwiceBumpsTheCatalogVersionOnce()
    {
        using var app = await new SearchWorld(services).StartAsync();
        var message = await EnqueuedMessageAsync(app, new CatalogChange([Products.Make("h", "Wireless headphones")], []));
        var log = app.Get<CatalogChangeLog>();

        var first = await app.Get<CatalogIndexer>().ProcessAsync(message, Ct);
        var versionAfterFirst = await log.CurrentVersionAsync();
        var again = await app.Get<CatalogIndexer>().ProcessAsync(message, Ct);

        Assert.Equal(first, again);
        Assert.Equal(versionAfterFirst, await log.CurrentVersionAsync());
        Assert.Single(await log.ReadAfterAsync("0-0"));
        Assert.Equal(1, (await app.QueryAsync("wireless")).Result.Total);
    }

    [Fact(Timeout = 60_000)]
    public async Task AnOlderChangeArrivingLastNeverOverwritesTheNewerProduct()
    {
        using var app = await new SearchWorld(services).StartAsync();
        var older = await EnqueuedMessageAsync(app, new CatalogChange([Products.Make("h", "Wireless headphones", price: 120, daysOld: 1)], []));
        var newer = await EnqueuedMessageAsync(app, new CatalogChange([Products.Make("h", "Wireless headphones", price: 80)], []));
        var indexer = app.Get<CatalogIndexer>();
        var log = app.Get<CatalogChangeLog>();

        await indexer.ProcessAsync(newer, Ct);
        var versionAfterNewer = await log.CurrentVersionAsync();
        await indexer.ProcessAsync(older, Ct);

        Assert.Equal(80, (await app.Get<CatalogStore>().GetAsync("h", Ct))!.Price);
        Assert.Equal(80, Assert.Single((await app.QueryAsync("wireless")).Result.Hits).Price);
        Assert.Equal(versionAfterNewer, await log.CurrentVersionAsync());
    }

    [Fact(Timeout = 60_000)]
    public async Task OnlyTheOutdatedProductsOfAChangeAreLeftOut()
    {
        using var app = await new SearchWorld(services).StartAsync();
        var store = app.Get<CatalogStore>();
        await store.ApplyAsync(new CatalogChange([Products.Make("a", "Wireless headphones", price: 50)], []), Ct);

        var written = await store.ApplyAsync(new CatalogChange([Products.Make("a", "Wireless headphones", price: 60, daysOld: 3), Products.Make("b", "Wireless earbuds", price: 70)], []), Ct);

        Assert.Equal(["b"], written.Upserts.Select(p => p.Id));
        Assert.Equal(50, (await store.GetAsync("a", Ct))!.Price);
        Assert.Equal(70, (await store.GetAsync("b", Ct))!.Price);
    }

    [Fact(Timeout = 60_000)]
    public async Task AnIndexKeepsTheNewerProductWhenTheLogHasItBeforeAnOlderOne()
    {
        var world = new SearchWorld(services);
        using var app = await world.StartAsync();
        var newer = new CatalogChange([Products.Make("h", "Wireless headphones", price: 80)], []);
        var older = new CatalogChange([Products.Make("h", "Wireless headphones", price: 120, daysOld: 1)], []);
        // Two indexers racing: each wrote the Table in time order, but their appends landed the other way round.
        await app.Get<CatalogStore>().ApplyAsync(older, Ct);
        await app.Get<CatalogStore>().ApplyAsync(newer, Ct);
        var log = app.Get<CatalogChangeLog>();
        await log.AppendAsync(newer);
        await app.Get<IndexSynchronizer>().CatchUpAsync(await log.AppendAsync(older), Ct);
        using var other = await world.StartAsync();

        Assert.Equal(80, Assert.Single((await app.QueryAsync("wireless")).Result.Hits).Price);
        Assert.Equal(80, Assert.Single((await other.QueryAsync("wireless")).Result.Hits).Price);
    }

    /// <summary>What the Functions runtime hands the trigger: the text of one message as the queue holds it.</summary>
    internal static async Task<string> EnqueuedMessageAsync(SearchApp app, CatalogChange change)
    {
        var queue = app.Get<CatalogChangeQueue>();
        Assert.Equal(1, await queue.EnqueueAsync(change, Ct));
        var message = (await queue.Queue.ReceiveMessageAsync(cancellationToken: Ct)).Value;
        await queue.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, Ct);
        return message.Body.ToString();
    }
}
