using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Messaging;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Messaging;

/// <summary>The consumer pipeline against real Azurite queues and inbox table, driven the way a queue trigger drives it.</summary>
public sealed class MessagePipelineTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task ADuplicatedOrRedeliveredMessageHasOneEffect()
    {
        using var app = await MessagingApp.StartAsync(services);
        var first = await app.DeliverAsync("""{"key":"order-1"}""");
        var duplicate = await app.DeliverAsync("""{"key":"order-1"}""");

        var outcomes = new[]
        {
            await app.ProcessAsync(first),
            await app.ProcessAsync(duplicate),
            await app.ProcessAsync(MessagingApp.Redelivered(first)),
        };

        Assert.Equal([PipelineAction.Handled, PipelineAction.Duplicate, PipelineAction.Duplicate], outcomes.Select(o => o.Action));
        Assert.Equal(1, app.Handler.Effects["order-1"]);
        Assert.Null(await app.ReceiveAsync(TimeSpan.Zero));
    }

    [Fact(Timeout = 30_000)]
    public async Task AWorkerThatDiesMidHandlerLeavesTheWorkToTheRetryOnceItsLeaseRunsOut()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = await MessagingApp.StartAsync(services, time);
        var message = await app.DeliverAsync("""{"key":"job-7"}""");
        using var dying = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var started = new TaskCompletionSource();
        app.Handler.Behaviour = async (_, delivery, ct) =>
        {
            if (delivery.Attempt == 1)
            {
                started.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }

            return HandlerResult.Succeeded;
        };

        // The host going away mid-handler: the pipeline stops without completing or releasing anything.
        var crashed = app.ProcessAsync(message, dying.Token);
        await started.Task.WaitAsync(Ct);
        await dying.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => crashed);

        // The runtime redelivers it while the dead worker's claim still holds: it comes back after the lease.
        var early = await app.ProcessAsync(MessagingApp.Redelivered(message));
        Assert.Equal(PipelineAction.Deferred, early.Action);
        Assert.InRange(early.Delay!.Value, TimeSpan.FromSeconds(29), TimeSpan.FromSeconds(32));
        var deferred = await app.ReceiveAsync(TimeSpan.FromSeconds(10));
        Assert.Null(deferred);

        time.Advance(TimeSpan.FromSeconds(31));
        var retried = await app.ProcessAsync(MessagingApp.Redelivered(MessagingApp.Redelivered(message)));

        Assert.Equal((PipelineAction.Handled, 3), (retried.Action, retried.Attempt));
        Assert.Equal(1, app.Handler.Effects["job-7"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task TransientFailuresComeBackWithGrowingDelaysAndEndInPoisonWithTheirWholeHistory()
    {
        using var app = await MessagingApp.StartAsync(services, maxAttempts: 3, backoffBase: "00:00:02", backoffCap: "00:00:03");
        app.Handler.Behaviour = (_, delivery, _) => Task.FromResult(HandlerResult.Transient($"target down ({delivery.Attempt})"));
        var message = await app.DeliverAsync("""{"key":"flaky"}""");
        var outcomes = new List<PipelineOutcome>();
        var waits = new List<TimeSpan>();

        var current = message;
        while (true)
        {
            var outcome = await app.ProcessAsync(current);
            outcomes.Add(outcome);
            if (outcome.Action != PipelineAction.Retried)
            {
                break;
            }

            // Invisible for the delay: not there at once, there within the delay plus polling slack.
            var sent = DateTimeOffset.UtcNow;
            Assert.Null(await app.ReceiveAsync(TimeSpan.Zero));
            current = await app.ReceiveAsync(outcome.Delay!.Value + TimeSpan.FromSeconds(5)) ?? throw new InvalidOperationException("The retry never came back.");
            waits.Add(DateTimeOffset.UtcNow - sent);
        }

        Assert.Equal([PipelineAction.Retried, PipelineAction.Retried, PipelineAction.Poisoned], outcomes.Select(o => o.Action));
        Assert.Equal([1, 2, 3], outcomes.Select(o => o.Attempt));
        // Ceilings 2 s then 3 s (capped), jittered within their upper half, rounded up to the whole seconds Storage takes.
        Assert.InRange(outcomes[0].Delay!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.InRange(outcomes[1].Delay!.Value, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
        Assert.All(outcomes.Take(2), o => Assert.Equal(0, o.Delay!.Value.Ticks % TimeSpan.TicksPerSecond));
        // Azurite's clock has whole seconds too: a copy may show up to a second early, never sooner.
        Assert.All(outcomes.Take(2).Zip(waits), pair => Assert.True(pair.Second >= pair.First.Delay!.Value - TimeSpan.FromSeconds(1), $"back after {pair.Second}"));

        var envelope = Assert.Single(await app.PoisonedAsync());
        Assert.Equal("""{"key":"flaky"}""", envelope.Body);
        Assert.Equal(("flaky", CountingHandler.Name, app.Handler.Queue, message.MessageId, 3, 0), (envelope.Id, envelope.Consumer, envelope.SourceQueue, envelope.MessageId, envelope.Attempt, envelope.ReplayCount));
        Assert.Equal("Failed 3 times: target down (3)", envelope.Error);
        Assert.True(envelope.FirstSeen < envelope.LastSeen, $"first seen {envelope.FirstSeen:O}, last seen {envelope.LastSeen:O}");
        Assert.Empty(app.Handler.Effects);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("not json")]
    [InlineData("""{"nokey":1}""")]
    [InlineData("")]
    public async Task AnUndecodableMessageGoesToPoisonAtOnceWithoutReachingTheHandler(string text)
    {
        using var app = await MessagingApp.StartAsync(services);
        var message = await app.DeliverAsync(text);

        var outcome = await app.ProcessAsync(message);

        Assert.Equal((PipelineAction.Poisoned, 1), (outcome.Action, outcome.Attempt));
        Assert.Empty(app.Handler.Deliveries);
        var envelope = Assert.Single(await app.PoisonedAsync());
        Assert.Equal(text, envelope.Body);
        Assert.StartsWith("Undecodable: ", envelope.Error, StringComparison.Ordinal);
        Assert.Equal((1, message.MessageId, app.Handler.Queue), (envelope.Attempt, envelope.MessageId, envelope.SourceQueue));
    }

    [Fact(Timeout = 30_000)]
    public async Task APermanentFailureSkipsTheRetriesAndLeavesTheWorkClaimableForAReplay()
    {
        using var app = await MessagingApp.StartAsync(services);
        var fail = true;
        app.Handler.Behaviour = (_, _, _) => Task.FromResult(fail ? HandlerResult.Permanent("no such account") : HandlerResult.Succeeded);
        var message = await app.DeliverAsync("""{"key":"pay-3"}""");

        var outcome = await app.ProcessAsync(message);
        fail = false;
        var envelope = Assert.Single(await app.PoisonedAsync());
        var replayed = await app.DeliverAsync((envelope with { Attempt = 1, ReplayCount = 1 }).ToText());
        var again = await app.ProcessAsync(replayed);

        Assert.Equal((PipelineAction.Poisoned, "no such account"), (outcome.Action, outcome.Error));
        Assert.Equal(PipelineAction.Handled, again.Action);
        Assert.Equal(1, app.Handler.Deliveries.Last().ReplayCount);
        Assert.Equal(1, app.Handler.Effects["pay-3"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task AnExceptionFromTheHandlerIsRetriedLikeATransientFailure()
    {
        using var app = await MessagingApp.StartAsync(services, maxAttempts: 5, backoffBase: "00:00:10", backoffCap: "00:01:00");
        app.Handler.Behaviour = (_, _, _) => throw new TimeoutException("backend slow");
        var message = await app.DeliverAsync("""{"key":"t-1"}""");

        var outcome = await app.ProcessAsync(message);

        Assert.Equal(PipelineAction.Retried, outcome.Action);
        Assert.Equal("TimeoutException: backend slow", outcome.Error);
        Assert.InRange(outcome.Delay!.Value, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));
        Assert.Equal(1, (await app.Queue.GetPropertiesAsync(Ct)).Value.ApproximateMessagesCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task ALongHandlerKeepsItsClaimPastTheLease()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = await MessagingApp.StartAsync(services, time);
        var release = new TaskCompletionSource<HandlerResult>();
        var started = new TaskCompletionSource();
        app.Handler.Behaviour = (_, _, _) =>
        {
            started.TrySetResult();
            return release.Task;
        };
        var message = await app.DeliverAsync("""{"key":"long"}""");
        var running = app.ProcessAsync(message);
        await started.Task.WaitAsync(Ct);
        var inbox = app.Get<Inbox>();

        // Three renewals (every 10 s of a 30 s lease) carry the claim 40 s past its first lease end.
        for (var i = 0; i < 7; i++)
        {
            var before = await LeaseUntilAsync(app, "long");
            time.Advance(TimeSpan.FromSeconds(10));
            await PollAsync(async () => await LeaseUntilAsync(app, "long") > before);
        }

        var second = await app.ProcessAsync(MessagingApp.Redelivered(message));
        release.SetResult(HandlerResult.Succeeded);
        var first = await running;

        Assert.Equal(PipelineAction.Deferred, second.Action);
        Assert.Equal(PipelineAction.Handled, first.Action);
        Assert.True(await inbox.IsDoneAsync(CountingHandler.Name, "long", Ct));
    }

    private static async Task<DateTimeOffset> LeaseUntilAsync(MessagingApp app, string id)
    {
        var table = app.Get<Serverless.Core.Storage.StorageClients>().Tables.GetTableClient(app.Get<Microsoft.Extensions.Options.IOptions<MessagingOptions>>().Value.InboxTable);
        var row = await table.GetEntityAsync<Azure.Data.Tables.TableEntity>(CountingHandler.Name, id, cancellationToken: Ct);
        return row.Value.GetDateTimeOffset("LeaseUntil") ?? default;
    }

    private static async Task PollAsync(Func<Task<bool>> effect)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        while (!await effect())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "The effect never showed.");
            await Task.Delay(20, Ct);
        }
    }
}
