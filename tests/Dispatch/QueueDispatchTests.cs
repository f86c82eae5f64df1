using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Serverless.Core.Dispatch;
using Serverless.Core.Messaging;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>
/// Queue-fed dispatch through the message pipeline the queue-triggered function calls (tests/Serverless.EndToEnd drives
/// the real trigger): a retryable failure comes back with backoff, a repeated key is posted once, and an undeliverable
/// message is moved to the poison queue at once as an envelope.
/// </summary>
[RedisBacked]
public sealed class QueueDispatchTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 15_000)]
    public async Task QueuedMessageIsPostedWithItsPayloadPathAndIdempotencyKey()
    {
        await using var backend = await Backend.StartAsync("backend");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("fed", $$"""{"policy":"round-robin","targets":[{"id":"backend","url":"{{backend.Url}}"}]}""");

        var handled = await ProcessAsync(app, """{"pool":"fed","path":"/orders?src=q","payload":{"n":1},"idempotencyKey":"k-1"}""");

        Assert.Equal(PipelineAction.Handled, handled.Action);
        var seen = Assert.Single(backend.Seen);
        Assert.Equal(("POST", "/orders?src=q", """{"n":1}""", "k-1"), (seen.Method, seen.PathAndQuery, seen.Body, seen.Headers["Idempotency-Key"]));
    }

    [Fact(Timeout = 15_000)]
    public async Task FailedDeliveryIsRetriedWithBackoffAfterTryingASecondTarget()
    {
        await using var first = await Backend.StartAsync("first", status: 500);
        await using var second = await Backend.StartAsync("second", status: 502);
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("failing", $$"""{"policy":"round-robin","targets":[{"id":"first","url":"{{first.Url}}"},{"id":"second","url":"{{second.Url}}"}]}""");

        await app.Storage.Queues.GetQueueClient(QueueDispatcher.QueueName).CreateIfNotExistsAsync(cancellationToken: Ct);

        var outcome = await ProcessAsync(app, $$"""{"pool":"failing","path":"/x","payload":1,"idempotencyKey":"{{Guid.NewGuid():N}}"}""");

        Assert.Equal((PipelineAction.Retried, 1), (outcome.Action, outcome.Attempt));
        Assert.Contains("502", outcome.Error, StringComparison.Ordinal);
        // The default schedule (Messaging:Defaults): a 2 s ceiling after the first attempt, jittered in its upper half.
        Assert.InRange(outcome.Delay!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.Equal((1, 1), (first.Requests, second.Requests));
    }

    [Fact(Timeout = 15_000)]
    public async Task ASecondMessageWithTheSameIdempotencyKeyIsNotPostedAgain()
    {
        await using var backend = await Backend.StartAsync("backend");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("fed", $$"""{"policy":"round-robin","targets":[{"id":"backend","url":"{{backend.Url}}"}]}""");
        var text = $$"""{"pool":"fed","path":"/orders","payload":{"n":1},"idempotencyKey":"{{Guid.NewGuid():N}}"}""";

        var outcomes = new[] { await ProcessAsync(app, text), await ProcessAsync(app, text) };

        Assert.Equal([PipelineAction.Handled, PipelineAction.Duplicate], outcomes.Select(o => o.Action));
        Assert.Equal(1, backend.Requests);
    }

    [Theory(Timeout = 15_000)]
    [InlineData("not json {0}")]
    [InlineData("""["{0}"]""")]
    [InlineData("""{"path":"/{0}"}""")]
    [InlineData("""{"pool":"bad name","path":"/{0}"}""")]
    [InlineData("""{"pool":"fed","path":"http://evil.test/{0}"}""")]
    [InlineData("""{"pool":"fed","path":"/{0}","idempotencyKey":5}""")]
    [InlineData("""{"pool":"no-such-pool","path":"/{0}"}""")]
    public async Task UndeliverableMessageGoesToThePoisonQueueAtOnceWithoutCallingABackend(string template)
    {
        await using var backend = await Backend.StartAsync("backend");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("fed", $$"""{"policy":"round-robin","targets":[{"id":"backend","url":"{{backend.Url}}"}]}""");
        var text = template.Replace("{0}", Guid.NewGuid().ToString("N"), StringComparison.Ordinal);

        var handled = await ProcessAsync(app, text);

        Assert.Equal((PipelineAction.Poisoned, 1), (handled.Action, handled.Attempt));
        Assert.Equal(0, backend.Requests);
        var poison = app.Storage.Queues.GetQueueClient(PoisonQueue.For(QueueDispatcher.QueueName));
        var peeked = (await poison.PeekMessagesAsync(32, Ct)).Value.Select(m => MessageEnvelope.TryRead(m.MessageText)).ToList();
        Assert.Contains(peeked, e => e?.Body == text && e.Consumer == QueueDispatcher.ConsumerName && e.Error is not null);
    }

    // What the trigger hands the pipeline: a message of its own id as first delivered.
    internal static Task<PipelineOutcome> ProcessAsync(DispatchApp app, string text) =>
        app.Get<MessagePipeline>().ProcessAsync(app.Queue, QueuesModelFactory.QueueMessage(Guid.NewGuid().ToString(), "pop", BinaryData.FromString(text), 1), Ct);
}
