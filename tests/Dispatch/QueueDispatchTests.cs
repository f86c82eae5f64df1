using Azure.Storage.Queues;
using Serverless.Core.Dispatch;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>
/// Queue-fed dispatch through the same core the queue-triggered function calls, without the host's retry-then-poison
/// cycle (tests/Serverless.EndToEnd drives the real trigger): a retryable failure throws (which is what starts that
/// cycle) and an undeliverable message is moved to the poison queue at once.
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

        var handled = await app.Queue.HandleAsync("""{"pool":"fed","path":"/orders?src=q","payload":{"n":1},"idempotencyKey":"k-1"}""", Ct);

        Assert.Equal(QueueDispatcher.Handling.Delivered, handled);
        var seen = Assert.Single(backend.Seen);
        Assert.Equal(("POST", "/orders?src=q", """{"n":1}""", "k-1"), (seen.Method, seen.PathAndQuery, seen.Body, seen.Headers["Idempotency-Key"]));
    }

    [Fact(Timeout = 15_000)]
    public async Task FailedDeliveryThrowsSoTheRuntimeRetriesItAfterTryingASecondTarget()
    {
        await using var first = await Backend.StartAsync("first", status: 500);
        await using var second = await Backend.StartAsync("second", status: 502);
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("failing", $$"""{"policy":"round-robin","targets":[{"id":"first","url":"{{first.Url}}"},{"id":"second","url":"{{second.Url}}"}]}""");

        var error = await Assert.ThrowsAsync<DispatchDeliveryException>(() =>
            app.Queue.HandleAsync("""{"pool":"failing","path":"/x","payload":1,"idempotencyKey":"k"}""", Ct));

        Assert.Contains("502", error.Message, StringComparison.Ordinal);
        Assert.Equal((1, 1), (first.Requests, second.Requests));
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

        var handled = await app.Queue.HandleAsync(text, Ct);

        Assert.Equal(QueueDispatcher.Handling.Rejected, handled);
        Assert.Equal(0, backend.Requests);
        var poison = app.Storage.Queues.GetQueueClient(QueueDispatcher.PoisonQueueName);
        var peeked = (await poison.PeekMessagesAsync(32, Ct)).Value;
        Assert.Contains(peeked, m => m.MessageText == text);
    }
}
