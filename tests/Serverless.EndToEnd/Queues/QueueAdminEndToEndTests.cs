using Serverless.Core.Dispatch;
using Serverless.Core.Storage;
using Serverless.EndToEnd.Host;
using Serverless.Testing;
using Xunit;

namespace Serverless.EndToEnd.Queues;

[RedisBacked]
public sealed class QueueAdminEndToEndTests(HostFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A queued dispatch to a pool that does not exist yet is poisoned by the trigger's pipeline; once the pool exists,
    /// replaying the poison message delivers it, and the poison queue can be listed and purged, all under the host.
    /// </summary>
    [Fact(Timeout = 120_000)]
    [Covers("ListQueues", "PeekPoison", "ReplayPoison", "PurgePoison")]
    public async Task APoisonedDispatchIsListedReplayedOnceItsPoolExistsAndPurged()
    {
        fixture.AssertIndexed("DispatchFromQueue");
        await using var backend = await Backend.StartAsync("r1");
        using var client = fixture.Client();
        var pool = $"replay-{Guid.NewGuid():N}"[..20];
        var queue = fixture.Get<StorageClients>().Queues.GetQueueClient(QueueDispatcher.QueueName);
        await queue.CreateIfNotExistsAsync(cancellationToken: Ct);
        await queue.SendMessageAsync($$$"""{"pool":"{{{pool}}}","path":"/replayed","payload":{"pool":"{{{pool}}}"}}""", Ct);

        var peeked = await Eventually.GetAsync(() => Answer.SendAsync(client, HttpMethod.Get, $"queues/{QueueDispatcher.QueueName}/poison"),
            a => a.Status == 200 && a.Json.GetProperty("messages").EnumerateArray().Any(m => m.GetProperty("body").GetString()!.Contains(pool, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), "the dispatch to a missing pool is in dispatch-requests-poison");
        var poisoned = peeked.Json.GetProperty("messages").EnumerateArray().First(m => m.GetProperty("body").GetString()!.Contains(pool, StringComparison.Ordinal));
        Assert.Equal(("dispatch", 1, 0), (poisoned.GetProperty("consumer").GetString(), poisoned.GetProperty("attempts").GetInt32(), poisoned.GetProperty("replayCount").GetInt32()));
        Assert.Contains(pool, poisoned.GetProperty("error").GetString(), StringComparison.Ordinal);

        var listed = await Answer.SendAsync(client, HttpMethod.Get, "queues");
        Assert.True(listed.Status == 200, listed.ToString());
        var dispatch = listed.Json.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == QueueDispatcher.QueueName);
        Assert.True(dispatch.GetProperty("poisonDepth").GetInt32() >= 1, listed.ToString());

        var put = await Answer.SendAsync(client, HttpMethod.Put, $"dispatch/pools/{pool}", new { policy = "round-robin", targets = new[] { new { id = "r1", url = backend.Url } } });
        Assert.True(put.Status == 201, put.ToString());
        var replayed = await Answer.SendAsync(client, HttpMethod.Post, $"queues/{QueueDispatcher.QueueName}/poison/replay?messageId={poisoned.GetProperty("messageId").GetString()}");
        Assert.True(replayed.Status == 200 && replayed.Json.GetProperty("replayed").GetInt32() == 1, replayed.ToString());
        var received = await Eventually.GetAsync(() => Task.FromResult(backend.Seen.ToList()), s => s.Count > 0, TimeSpan.FromSeconds(60), "the replayed dispatch reaches the backend");
        Assert.Equal("/replayed", Assert.Single(received).PathAndQuery);

        var purged = await Answer.SendAsync(client, HttpMethod.Delete, $"queues/{QueueDispatcher.QueueName}/poison");
        Assert.True(purged.Status == 200, purged.ToString());
        var unknown = await Answer.SendAsync(client, HttpMethod.Get, "queues/not-an-app-queue/poison");
        Assert.True(unknown.Status == 404, unknown.ToString());
        await Answer.SendAsync(client, HttpMethod.Delete, $"dispatch/pools/{pool}");
    }
}
