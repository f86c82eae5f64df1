using System.Collections.Concurrent;
using System.Text.Json;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Jobs;
using Serverless.Core.Messaging.Publishing;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Jobs;

/// <summary>
/// Job events to Service Bus. No broker (and no emulator) runs here, so the mapping is checked on what the SDK is
/// handed, through a recording <see cref="ServiceBusSender"/>, and read back through <see cref="ServiceBusModelFactory"/>
/// as a consumer would receive it; the test names say so.
/// </summary>
[RedisBacked]
public sealed class JobEventPublishingTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 10_000)]
    public async Task EventMapsToMessageIdSessionAndScheduleWithARecordingSenderBecauseNoBrokerRunsHere()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var sender = new RecordingSender();
        var publisher = new ServiceBusEventPublisher(sender, clock);
        var later = clock.GetUtcNow().AddMinutes(5);

        await publisher.PublishAsync(
            [
                new PublishedEvent("e-1", "job.submitted", "job-a", """{"n":1}"""u8.ToArray(), "customer-7", later),
                new PublishedEvent("e-2", "job.succeeded", "job-b", """{"n":2}"""u8.ToArray()),
            ], Ct);

        var (first, second) = (sender.Sent[0], sender.Sent[1]);
        Assert.Equal(("e-1", "customer-7", "job.submitted", "job-a", later), (first.MessageId, first.SessionId, first.Subject, first.CorrelationId, first.ScheduledEnqueueTime));
        Assert.Equal("job.submitted", first.ApplicationProperties[ServiceBusEventPublisher.TypeProperty]);
        Assert.Equal(("e-2", "job-b", default(DateTimeOffset)), (second.MessageId, second.SessionId, second.ScheduledEnqueueTime));
        Assert.Equal("""{"n":1}""", first.Body.ToString());
    }

    [Fact(Timeout = 10_000)]
    public void ReceivedMessageReadsBackAsTheSameEventThroughServiceBusModelFactoryBecauseNoBrokerRunsHere()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var published = new PublishedEvent("e-9", "job.dead", "job-z", """{"x":true}"""u8.ToArray(), "lane-1", clock.GetUtcNow().AddSeconds(30));
        var sent = new ServiceBusEventPublisher(new RecordingSender(), clock).ToMessage(published);

        var received = ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: sent.Body, messageId: sent.MessageId, sessionId: sent.SessionId, subject: sent.Subject, correlationId: sent.CorrelationId,
            contentType: sent.ContentType, scheduledEnqueueTime: sent.ScheduledEnqueueTime, properties: sent.ApplicationProperties);
        var read = ServiceBusEventPublisher.FromReceived(received);

        Assert.Equal((published.Id, published.Type, published.Subject, published.OrderingKey, published.DeliverAt), (read.Id, read.Type, read.Subject, read.OrderingKey, read.DeliverAt));
        Assert.Equal(published.Body.ToArray(), read.Body.ToArray());
    }

    [Fact(Timeout = 30_000)]
    public void WithoutANamespaceOrConnectionStringNothingIsPublished()
    {
        var configuration = services.Configuration();
        var provider = new ServiceCollection().AddSingleton(TimeProvider.System).AddServerlessPublishing(configuration).BuildServiceProvider();

        Assert.IsType<NoEventPublisher>(provider.GetRequiredService<IEventPublisher>());
        Assert.False(provider.GetRequiredService<IEventPublisher>().IsEnabled);
    }

    [Fact(Timeout = 10_000)]
    public void NamespaceAndConnectionStringTogetherAreRefusedAtStartUpNamingBothSettings()
    {
        var options = new ServiceBusPublishingOptions { FullyQualifiedNamespace = "sb.servicebus.windows.net", ConnectionString = "Endpoint=sb://x/" };

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();

        Assert.Contains(errors, e => e.ErrorMessage!.Contains("Messaging:ServiceBus:FullyQualifiedNamespace", StringComparison.Ordinal)
            && e.ErrorMessage.Contains("Messaging:ServiceBus:ConnectionString", StringComparison.Ordinal));
    }

    [Fact(Timeout = 40_000)]
    public async Task JobLifecycleEventsCarryTheJobIdsOrderingKeyAndStableIdsWithARecordingSenderBecauseNoBrokerRunsHere()
    {
        var sender = new RecordingSender();
        await using var backend = await Backend.StartAsync("b");
        using var app = await JobApp.StartAsync(services, configure: s => s.AddSingleton<IEventPublisher>(sp => new ServiceBusEventPublisher(sender, TimeProvider.System)));
        await app.SavePoolAsync("pool", backend);
        await using var pump = new JobQueuePump(app);

        await app.SubmitAsync("evented", """{"pool":"pool","path":"/x","orderingKey":"tenant-3"}""", Ct);
        await app.SubmitAsync("evented", """{"pool":"pool","path":"/x","orderingKey":"tenant-3"}""", Ct);
        var job = await app.WaitFinishedAsync(JobIds.For("evented"), TimeSpan.FromSeconds(20), Ct);
        // The end event is published after the job's row records its end: poll for it with a deadline.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (sender.Sent.Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }

        var types = sender.Sent.Select(m => m.Subject).ToList();
        Assert.Equal(["job.submitted", "job.succeeded"], types);
        Assert.All(sender.Sent, m => Assert.Equal(("tenant-3", job.Id), (m.SessionId, m.CorrelationId)));
        Assert.Equal(sender.Sent.Count, sender.Sent.Select(m => m.MessageId).Distinct().Count());
        using var body = JsonDocument.Parse(sender.Sent[1].Body.ToString());
        Assert.Equal("succeeded", body.RootElement.GetProperty("state").GetString());
    }

    /// <summary>A sender that keeps what it is given (the SDK's protected constructor exists for this).</summary>
    private sealed class RecordingSender : ServiceBusSender
    {
        private readonly ConcurrentQueue<ServiceBusMessage> _sent = new();

        public List<ServiceBusMessage> Sent => [.. _sent];

        public override Task SendMessagesAsync(IEnumerable<ServiceBusMessage> messages, CancellationToken cancellationToken = default)
        {
            foreach (var message in messages)
            {
                _sent.Enqueue(message);
            }

            return Task.CompletedTask;
        }
    }
}
