using Serverless.Core.Messaging;
using Serverless.Core.Telemetry;
using Serverless.Testing;
using Serverless.Tests.Messaging;
using Xunit;

namespace Serverless.Tests.Telemetry;

[Collection(TelemetryCollection.Name)]
public sealed class MessagingTelemetryTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task HandledRetriedPoisonedAndReplayedMessagesAreCountedPerConsumer()
    {
        using var app = await MessagingApp.StartAsync(services, maxAttempts: 2, registered: true);
        using var telemetry = new TelemetryCapture();
        app.Handler.Behaviour = (work, _, _) => Task.FromResult(work.Key == "fails" ? HandlerResult.Transient("target down") : HandlerResult.Succeeded);

        Assert.Equal(PipelineAction.Handled, (await app.ProcessAsync(await app.DeliverAsync("""{"key":"works"}"""))).Action);
        var failing = await app.DeliverAsync("""{"key":"fails"}""");
        Assert.Equal(PipelineAction.Retried, (await app.ProcessAsync(failing)).Action);
        var retry = await app.ReceiveAsync(TimeSpan.FromSeconds(15)) ?? throw new InvalidOperationException("The retry never came back.");
        Assert.Equal(PipelineAction.Poisoned, (await app.ProcessAsync(retry)).Action);
        var queue = app.Get<AppQueues>().Find(app.Handler.Queue) ?? throw new InvalidOperationException("The handler's queue is not an app queue.");
        var replay = await app.Get<QueueAdmin>().ReplayAsync(queue, null, Ct);

        Assert.Equal(new ReplayResult(1, 0), replay);
        Assert.Equal(1, Count(telemetry, "serverless.messaging.messages.handled"));
        Assert.Equal(1, Count(telemetry, "serverless.messaging.messages.retried"));
        Assert.Equal(1, Count(telemetry, "serverless.messaging.messages.poisoned"));
        Assert.Equal(1, Count(telemetry, "serverless.messaging.messages.replayed"));
    }

    private static long Count(TelemetryCapture telemetry, string instrument) =>
        telemetry.Sum(instrument, (MessagingMetrics.ConsumerTag, CountingHandler.Name));
}
