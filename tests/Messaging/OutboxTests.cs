using System.Text.Json;
using Serverless.Core.Messaging;
using Serverless.Core.Messaging.Outbox;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Transactions;
using Serverless.Testing;
using Serverless.Tests.Search;
using Xunit;

namespace Serverless.Tests.Messaging;

/// <summary>
/// The catalog's transactional outbox with crashes injected into the relay (an exception at the step, as a process
/// dying there would leave it), then the timer's pass and the indexer behind the message pipeline, all on Azurite.
/// </summary>
[RedisBacked]
public sealed class OutboxTests(ServicesFixture services)
{
    private const int ProductCount = 40;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 60_000)]
    [InlineData("after the write", 0)]
    [InlineData("after the first publish", 1)]
    [InlineData("before the mark", 3)]
    public async Task ABatchCutShortAtAnyPointIsAppliedExactlyOnce(string window, int publishedBeforeCrash)
    {
        using var app = await StartAsync();
        var relay = app.Get<OutboxRelay>();
        var batch = await app.Get<CatalogChangeQueue>().RecordAsync(new CatalogChange(Batch(), []), Ct);
        Assert.Equal(3, batch.Messages.Count);
        if (publishedBeforeCrash > 0)
        {
            relay.Fault = (step, i) => ((step, i) == (OutboxStep.Published, 0) && window == "after the first publish") || step == OutboxStep.BeforeMark
                ? throw new SimulatedCrashException(window)
                : Task.CompletedTask;
            await Assert.ThrowsAsync<SimulatedCrashException>(() => relay.RelayAsync(batch.BatchId, Ct));
            relay.Fault = null;
        }

        // The timer's pass, once the crashed relay's lease has run out.
        await PollAsync(async () => await relay.RelayPendingAsync(Ct) == 1);
        var outcomes = await DrainAsync(app);

        Assert.Empty(await app.Get<OutboxStore>().PendingAsync(Ct));
        Assert.Equal(3, outcomes.Count(o => o == PipelineAction.Handled));
        Assert.Equal(publishedBeforeCrash, outcomes.Count(o => o == PipelineAction.Duplicate));
        Assert.Equal(3, (await app.Get<CatalogChangeLog>().ReadAfterAsync("0-0")).Count);
        Assert.Equal(ProductCount, (await app.QueryAsync("outboxed")).Result.Total);
    }

    [Fact(Timeout = 60_000)]
    public async Task AnEnqueueThatFailsMidwayStillAcceptsTheWholeBatchAndTheRelayFinishesIt()
    {
        using var app = await StartAsync();
        var relay = app.Get<OutboxRelay>();
        relay.Fault = (step, i) => (step, i) == (OutboxStep.Published, 0) ? throw new SimulatedCrashException("queue write failed") : Task.CompletedTask;
        var request = ActionResults.Request("POST", body: JsonSerializer.Serialize(Batch(), CatalogJson.Default.ListProduct));

        var answer = await ActionResults.ExecuteAsync(await app.Catalog.Upsert(request, Ct), request);
        relay.Fault = null;
        await PollAsync(async () => await relay.RelayPendingAsync(Ct) == 1);
        var outcomes = await DrainAsync(app);

        Assert.Equal((202, ProductCount), (answer.Status, answer.Json.GetProperty("accepted").GetInt32()));
        Assert.Equal([PipelineAction.Handled, PipelineAction.Handled, PipelineAction.Handled, PipelineAction.Duplicate], outcomes.Order());
        Assert.Equal(ProductCount, (await app.QueryAsync("outboxed")).Result.Total);
    }

    [Fact(Timeout = 60_000)]
    public async Task ARejectedUpsertRecordsAndEnqueuesNothing()
    {
        using var app = await StartAsync();
        var products = Batch();
        products[^1] = products[^1] with { Price = -1 };
        var request = ActionResults.Request("POST", body: JsonSerializer.Serialize(products, CatalogJson.Default.ListProduct));

        var answer = await ActionResults.ExecuteAsync(await app.Catalog.Upsert(request, Ct), request);

        Assert.Equal(400, answer.Status);
        Assert.Empty(await app.Get<OutboxStore>().PendingAsync(Ct));
        Assert.False((await app.Get<CatalogChangeQueue>().Queue.ExistsAsync(Ct)).Value);
    }

    [Fact(Timeout = 60_000)]
    public async Task ANeedsAttentionItemRecordedTwiceRaisesOneAlertThroughTheOutbox()
    {
        using var app = await StartAsync(new() { ["Transactions:TablePrefix"] = "tx" + Guid.NewGuid().ToString("N")[..10] });
        var log = app.Get<AttentionLog>();

        await log.RecordAsync("txn-outbox", ParticipantName.Payments, "Commit", "payments down", Ct);
        await log.RecordAsync("txn-outbox", ParticipantName.Payments, "Commit", "payments still down", Ct);

        var alerts = (await app.Get<TransactionTables>().AttentionQueue.PeekMessagesAsync(32, Ct)).Value;
        Assert.Contains("payments down", Assert.Single(alerts).MessageText, StringComparison.Ordinal);
        Assert.Equal("payments still down", Assert.Single(await log.ForAsync("txn-outbox", Ct)).Reason);
        Assert.Empty(await app.Get<OutboxStore>().PendingAsync(Ct));
    }

    // A table per test (SearchWorld sets the catalog's; the outbox and inbox need theirs), and a short relay lease so
    // the timer's pass after a crash comes within the test.
    private async Task<SearchApp> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var app = await new SearchWorld(services, new(settings ?? []) { ["Messaging:OutboxTable"] = "outbox" + id, ["Messaging:InboxTable"] = "inbox" + id }).StartAsync();
        app.Get<OutboxRelay>().Lease = TimeSpan.FromSeconds(1);
        return app;
    }

    // 40 products of ~3 KB: three queue messages of at most 46 KiB.
    private static List<Product> Batch() =>
        Enumerable.Range(0, ProductCount).Select(i => Products.Make($"o{i}", $"Outboxed speaker {i}", description: new string('d', 3_000))).ToList();

    /// <summary>What the queue trigger does with every message on the queue, duplicates included.</summary>
    private static async Task<List<PipelineAction>> DrainAsync(SearchApp app)
    {
        var queue = app.Get<CatalogChangeQueue>().Queue;
        var outcomes = new List<PipelineAction>();
        while ((await queue.ReceiveMessageAsync(cancellationToken: Ct)).Value is { } message)
        {
            outcomes.Add((await app.Get<MessagePipeline>().ProcessAsync(app.Get<CatalogIndexer>(), message, Ct)).Action);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, Ct);
        }

        return outcomes;
    }

    private static async Task PollAsync(Func<Task<bool>> effect)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while (!await effect())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "The relay never sent the batch.");
            await Task.Delay(200, Ct);
        }
    }

    private sealed class SimulatedCrashException(string window) : Exception($"Simulated crash {window}.");
}
