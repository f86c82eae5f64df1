using Serverless.Core.Dispatch;
using Serverless.Core.Messaging;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>Queued requests to ring-hash and maglev pools: the key comes from the message's path, and a message without one is poison.</summary>
[RedisBacked]
public sealed class HashQueueDispatchTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 15_000)]
    public async Task QueuedMessageIsRoutedByTheKeyInItsPathAndOneWithoutAKeyGoesToThePoisonQueue()
    {
        await using var a = await Backend.StartAsync("a");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("keyed", $$"""{"policy":"ring-hash","hashKey":{"query":"tenant"},"targets":[{"id":"a","url":"{{a.Url}}"}]}""");
        var keyless = $$"""{"pool":"keyed","path":"/orders/{{Guid.NewGuid():N}}","idempotencyKey":"{{Guid.NewGuid():N}}"}""";

        Assert.Equal(PipelineAction.Handled, (await QueueDispatchTests.ProcessAsync(app, $$"""{"pool":"keyed","path":"/orders?tenant=acme","idempotencyKey":"{{Guid.NewGuid():N}}"}""")).Action);
        Assert.Equal(PipelineAction.Poisoned, (await QueueDispatchTests.ProcessAsync(app, keyless)).Action);

        Assert.Equal(1, a.Requests);
        var poison = app.Storage.Queues.GetQueueClient(PoisonQueue.For(QueueDispatcher.QueueName));
        var peeked = (await poison.PeekMessagesAsync(32, Ct)).Value.Select(m => MessageEnvelope.TryRead(m.MessageText)).ToList();
        Assert.Contains(peeked, e => e?.Body == keyless && e.Consumer == QueueDispatcher.ConsumerName);
    }
}
