using Serverless.Core.Search.Catalog;
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
