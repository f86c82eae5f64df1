using System.Text.Json;
using Serverless.Core.Dispatch;
using Serverless.Core.Messaging;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Storage;
using Serverless.Functions.Queues;
using Serverless.Testing;
using Serverless.Tests.Messaging;
using Xunit;

namespace Serverless.Tests.Queues;

/// <summary>The admin functions over real Azurite queues, with a counting consumer registered like any feature's.</summary>
public sealed class QueueAdminTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task TheListShowsEveryAppQueueWithItsDepthOldestAgeAndPoisonDepth()
    {
        using var app = await StartAsync();
        await app.ProcessAsync(await app.DeliverAsync("not json"));
        await app.Queue.SendMessageAsync("""{"key":"a"}""", Ct);
        await app.Queue.SendMessageAsync("""{"key":"b"}""", Ct);

        var listed = await ActionResults.ExecuteAsync(await Functions(app).List(ActionResults.Request(), Ct));

        Assert.Equal(200, listed.Status);
        var queues = listed.Json.GetProperty("queues").EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!);
        var work = queues[app.Handler.Queue];
        Assert.Equal((2, 1, CountingHandler.Name), (work.GetProperty("depth").GetInt32(), work.GetProperty("poisonDepth").GetInt32(), work.GetProperty("consumer").GetString()));
        Assert.True(work.GetProperty("oldestAgeSeconds").GetDouble() >= 0);
        Assert.Contains(QueueDispatcher.QueueName, queues.Keys);
        Assert.Contains(app.Get<CatalogChangeQueue>().Queue.Name, queues.Keys);
        Assert.Contains(queues.Keys, q => q.EndsWith("-attention", StringComparison.Ordinal));
        Assert.DoesNotContain(queues.Keys, q => q.EndsWith("-poison", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task AReplayedPoisonMessageRunsAgainWithItsReplayCountAndAReplayOfDoneWorkIsDropped()
    {
        using var app = await StartAsync();
        var broken = true;
        app.Handler.Behaviour = (_, _, _) => Task.FromResult(broken ? HandlerResult.Permanent("account closed") : HandlerResult.Succeeded);
        await app.ProcessAsync(await app.DeliverAsync("""{"key":"pay-1"}"""));
        await app.ProcessAsync(await app.DeliverAsync("""{"key":"pay-1"}"""));
        var peeked = await ActionResults.ExecuteAsync(await Functions(app).Peek(ActionResults.Request(), app.Handler.Queue, Ct));
        var messages = peeked.Json.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(2, messages.Count);
        Assert.Equal(("pay-1", "account closed", """{"key":"pay-1"}""", 0), (messages[0].GetProperty("id").GetString(), messages[0].GetProperty("error").GetString(),
            messages[0].GetProperty("body").GetString(), messages[0].GetProperty("replayCount").GetInt32()));

        broken = false;
        var one = await ReplayAsync(app, $"messageId={messages[0].GetProperty("messageId").GetString()}");
        var outcome = await app.ProcessAsync((await app.ReceiveAsync(TimeSpan.FromSeconds(10)))!);
        var rest = await ReplayAsync(app, "all=true");

        Assert.Equal((200, 1, 0), (one.Status, one.Json.GetProperty("replayed").GetInt32(), one.Json.GetProperty("alreadyDone").GetInt32()));
        Assert.Equal(PipelineAction.Handled, outcome.Action);
        Assert.Equal(1, app.Handler.Deliveries.Last().ReplayCount);
        Assert.Equal((200, 0, 1), (rest.Status, rest.Json.GetProperty("replayed").GetInt32(), rest.Json.GetProperty("alreadyDone").GetInt32()));
        Assert.Null(await app.ReceiveAsync(TimeSpan.Zero));
        Assert.Empty(await app.PoisonedAsync());
        Assert.Equal(1, app.Handler.Effects["pay-1"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task ReplayingOneLeavesTheOthersInPoison()
    {
        using var app = await StartAsync();
        await app.ProcessAsync(await app.DeliverAsync("first"));
        await app.ProcessAsync(await app.DeliverAsync("second"));
        var target = (await app.Poison.PeekMessagesAsync(2, Ct)).Value[1];

        var replayed = await ReplayAsync(app, $"messageId={target.MessageId}");

        Assert.Equal(1, replayed.Json.GetProperty("replayed").GetInt32());
        Assert.Equal("second", MessageEnvelope.TryRead((await app.ReceiveAsync(TimeSpan.FromSeconds(10)))!.Body.ToString())!.Body);
        Assert.Equal(["first"], (await app.PoisonedAsync()).Select(e => e.Body));
    }

    [Fact(Timeout = 30_000)]
    public async Task PurgeEmptiesThePoisonQueue()
    {
        using var app = await StartAsync();
        await app.ProcessAsync(await app.DeliverAsync("junk"));

        var purged = await ActionResults.ExecuteAsync(await Functions(app).Purge(ActionResults.Request("DELETE"), app.Handler.Queue, Ct));

        Assert.Equal((200, 1), (purged.Status, purged.Json.GetProperty("purged").GetInt32()));
        Assert.Empty(await app.PoisonedAsync());
    }

    [Theory(Timeout = 30_000)]
    [InlineData("dispatch-requests-poison")]
    [InlineData("testhub-control-00")]
    [InlineData("azure-webjobs-blobtrigger-x")]
    [InlineData("no-such-queue")]
    public async Task AQueueThatIsNotTheAppsIsNotFound(string queue)
    {
        using var app = await StartAsync();
        var functions = Functions(app);

        var answers = new[]
        {
            await ActionResults.ExecuteAsync(await functions.Peek(ActionResults.Request(), queue, Ct)),
            await ActionResults.ExecuteAsync(await functions.Replay(ActionResults.Request("POST", "all=true"), queue, Ct)),
            await ActionResults.ExecuteAsync(await functions.Purge(ActionResults.Request("DELETE"), queue, Ct)),
        };

        Assert.All(answers, a => Assert.Equal((404, true), (a.Status, a.IsProblem)));
        // What the functions would have touched: that queue's own poison queue, which no app ever has.
        Assert.False((await app.Get<StorageClients>().Queues.GetQueueClient(PoisonQueue.For(queue)).ExistsAsync(Ct)).Value);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("", 400)]
    [InlineData("all=yes", 400)]
    [InlineData("all=true&messageId=abc", 400)]
    [InlineData("messageId=no%2Fslash", 400)]
    [InlineData("messageId=0b7e7a1c-4d7e-4f5e-9a53-7f0c0f3f2a11", 404)]
    public async Task AReplayMustNameOneExistingMessageOrAll(string query, int status)
    {
        using var app = await StartAsync();
        await app.ProcessAsync(await app.DeliverAsync("junk"));

        var answer = await ReplayAsync(app, query);

        Assert.Equal((status, true), (answer.Status, answer.IsProblem));
        Assert.Single(await app.PoisonedAsync());
    }

    private Task<MessagingApp> StartAsync() => MessagingApp.StartAsync(services, registered: true);

    private static QueueAdminFunctions Functions(MessagingApp app) => app.Create<QueueAdminFunctions>();

    private static async Task<ActionResults.Response> ReplayAsync(MessagingApp app, string query) =>
        await ActionResults.ExecuteAsync(await Functions(app).Replay(ActionResults.Request("POST", query), app.Handler.Queue, Ct));
}
