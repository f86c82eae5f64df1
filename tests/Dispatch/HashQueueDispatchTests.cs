using Serverless.Core.Dispatch;
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
        var keyless = $$"""{"pool":"keyed","path":"/orders/{{Guid.NewGuid():N}}"}""";

        Assert.Equal(QueueDispatcher.Handling.Delivered, await app.Queue.HandleAsync("""{"pool":"keyed","path":"/orders?tenant=acme"}""", Ct));
        Assert.Equal(QueueDispatcher.Handling.Rejected, await app.Queue.HandleAsync(keyless, Ct));

        Assert.Equal(1, a.Requests);
        var poison = app.Storage.Queues.GetQueueClient(QueueDispatcher.PoisonQueueName);
        Assert.Contains((await poison.PeekMessagesAsync(32, Ct)).Value, m => m.MessageText == keyless);
    }
}
