using Serverless.Core.Messaging;
using Serverless.Core.Storage;
using System.Text.Json;
using Serverless.Core.Search;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Index;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Search;

/// <summary>
/// Catalog changes through the real queue on Azurite, without the Functions host: each test receives the message
/// itself and hands it to the indexer the trigger calls (tests/Serverless.EndToEnd drives the real trigger).
/// </summary>
[RedisBacked]
public sealed class CatalogChangeTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task UpsertThroughTheQueueIsSearchableAtOnceAndNeverServesTheOldVersion()
    {
        var world = new SearchWorld(services);
        using var app = await world.StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones", price: 100)]);
        var before = await app.QueryAsync("wireless");
        await app.QueryAsync("wireless");

        var accepted = await PostAsync(app, [Products.Make("h", "Wireless headphones", price: 80), Products.Make("n", "Wireless earbuds")]);
        await DeliverQueuedAsync(app);
        var after = await app.QueryAsync("wireless");

        Assert.Equal(202, accepted.Status);
        Assert.True(after.Result.CatalogVersion > before.Result.CatalogVersion);
        Assert.Equal(2, after.Result.Total);
        Assert.Equal(80, after.Result.Hits.Single(h => h.Id == "h").Price);
    }

    [Fact(Timeout = 60_000)]
    public async Task ChangeAppliedByOneInstanceIsSearchableOnAnotherWithinFiveSeconds()
    {
        var world = new SearchWorld(services);
        using var indexer = await world.StartAsync();
        using var other = await world.StartAsync();

        await PostAsync(indexer, [Products.Make("x", "Titanium travel mug", "Kitchen")]);
        await DeliverQueuedAsync(indexer);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while ((await other.QueryAsync("titanium mug")).Result.Total == 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), "the other instance did not see the change within 5 s");
            await Task.Delay(50, Ct);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task DeleteThroughTheQueueRemovesTheProduct()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("gone", "Wireless headphones")]);

        var response = await ActionResults.ExecuteAsync(await app.Catalog.Delete(ActionResults.Request("DELETE"), "gone", Ct));
        await DeliverQueuedAsync(app);

        Assert.Equal(202, response.Status);
        Assert.Equal(0, (await app.QueryAsync("wireless")).Result.Total);
        Assert.Null(await app.Get<CatalogStore>().GetAsync("gone", Ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task UndecodableMessageGoesToThePoisonQueueAndTheNextMessageStillApplies()
    {
        using var app = await new SearchWorld(services).StartAsync();
        var queue = app.Get<CatalogChangeQueue>();
        await queue.Queue.CreateIfNotExistsAsync(cancellationToken: Ct);
        await queue.Queue.SendMessageAsync("{ this is not json", Ct);
        await PostAsync(app, [Products.Make("ok", "Wireless headphones")]);

        var results = await DeliverQueuedAsync(app);

        Assert.Equal([PipelineAction.Poisoned, PipelineAction.Handled], results.Select(r => r.Action));
        var poisoned = await app.Get<StorageClients>().Queues.GetQueueClient(PoisonQueue.For(queue.Queue.Name)).ReceiveMessageAsync(cancellationToken: Ct);
        var envelope = MessageEnvelope.TryRead(poisoned.Value.MessageText)!;
        Assert.Equal(("{ this is not json", CatalogIndexer.ConsumerName, queue.Queue.Name), (envelope.Body, envelope.Consumer, envelope.SourceQueue));
        Assert.Equal(1, (await app.QueryAsync("wireless")).Result.Total);
    }

    [Fact(Timeout = 60_000)]
    public async Task ColdInstanceStartsFromTheSnapshotAndCatchesUpFromTheLog()
    {
        var world = new SearchWorld(services);
        using var warm = await world.StartAsync();
        await SearchWorld.SeedAsync(warm, [Products.Make("s1", "Wireless headphones")]);
        await warm.Get<IndexSnapshots>().UploadAsync(warm.Index, Ct);
        await SearchWorld.SeedAsync(warm, [Products.Make("s2", "Wireless speaker")]);
        // Drop the catalog rows: a cold instance can only know them through the snapshot and the log.
        await warm.Get<CatalogStore>().ApplyAsync(new CatalogChange([], ["s1", "s2"]), Ct);

        using var cold = await world.StartAsync();
        await cold.Get<IndexSynchronizer>().CatchUpAsync(warm.Index.Version, Ct);

        Assert.Equal(["s1", "s2"], (await cold.QueryAsync("wireless")).Result.Hits.Select(h => h.Id).Order());
    }

    [Fact(Timeout = 60_000)]
    public async Task WarmupRefreshesHotQueriesForTheNewVersionWithoutUserTraffic()
    {
        var world = new SearchWorld(services);
        using var app = await world.StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones")]);
        for (var i = 0; i < 5; i++)
        {
            await app.QueryAsync("wireless");
        }

        await app.QueryAsync("rarely asked");
        await SearchWorld.SeedAsync(app, [Products.Make("k", "Wireless keyboard")]);
        var searchesBefore = app.Index.SearchCount;

        var warmed = await ActionResults.ExecuteAsync(await app.Functions.Warmup(ActionResults.Request("POST"), Ct));

        using var other = await world.StartAsync();
        await other.Get<IndexSynchronizer>().CatchUpAsync(app.Index.Version, Ct);
        var next = await other.QueryAsync("wireless");
        Assert.Equal(2, warmed.Json.GetProperty("warmed").GetInt32());
        Assert.True(app.Index.SearchCount > searchesBefore);
        Assert.Equal(CacheOutcome.HitL2, next.Cache);
        Assert.Equal(2, next.Result.Total);
        Assert.Equal(0, other.Index.SearchCount);
    }

    private static async Task<ActionResults.Response> PostAsync(SearchApp app, IEnumerable<Product> products)
    {
        var request = ActionResults.Request("POST", body: JsonSerializer.Serialize(products.ToList(), CatalogJson.Default.ListProduct));
        return await ActionResults.ExecuteAsync(await app.Catalog.Upsert(request, Ct), request);
    }

    /// <summary>What the queue trigger does: receive each message, run it through the pipeline, delete it.</summary>
    private static async Task<List<PipelineOutcome>> DeliverQueuedAsync(SearchApp app)
    {
        var queue = app.Get<CatalogChangeQueue>().Queue;
        var results = new List<PipelineOutcome>();
        while ((await queue.ReceiveMessageAsync(cancellationToken: Ct)).Value is { } message)
        {
            results.Add(await app.Get<MessagePipeline>().ProcessAsync(app.Get<CatalogIndexer>(), message, Ct));
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, Ct);
        }

        return results;
    }
}
