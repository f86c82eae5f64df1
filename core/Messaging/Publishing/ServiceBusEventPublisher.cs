using Azure.Messaging.ServiceBus;

namespace Serverless.Core.Messaging.Publishing;

/// <summary>
/// Publishes events to a Service Bus topic: <c>MessageId</c> = event id (the topic's duplicate detection drops a
/// repeat), <c>SessionId</c> = ordering key (a session-enabled subscription delivers one key in order),
/// <c>ScheduledEnqueueTime</c> for events to deliver later.
/// </summary>
public sealed class ServiceBusEventPublisher(ServiceBusSender sender, TimeProvider time) : IEventPublisher
{
    /// <summary>Application property carrying <see cref="PublishedEvent.Type"/>, for subscription filters.</summary>
    public const string TypeProperty = "eventType";

    /// <inheritdoc />
    public bool IsEnabled => true;

    /// <inheritdoc />
    public async Task PublishAsync(IReadOnlyList<PublishedEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        // One send per call keeps the events of one call in order; a batch too large for one message is the SDK's error to raise.
        await sender.SendMessagesAsync(events.Select(ToMessage).ToList(), cancellationToken);
    }

    /// <summary>The Service Bus message for <paramref name="published"/>.</summary>
    public ServiceBusMessage ToMessage(PublishedEvent published)
    {
        ArgumentNullException.ThrowIfNull(published);
        var message = new ServiceBusMessage(published.Body)
        {
            MessageId = published.Id,
            // Sessions are required on the subscription, so every message needs one; without a key, the subject is its own sequence.
            SessionId = published.OrderingKey ?? published.Subject,
            Subject = published.Type,
            CorrelationId = published.Subject,
            ContentType = "application/json",
        };
        message.ApplicationProperties[TypeProperty] = published.Type;
        if (published.DeliverAt is { } at && at > time.GetUtcNow())
        {
            message.ScheduledEnqueueTime = at;
        }

        return message;
    }

    /// <summary>The event a consumer reads back from a received message (the inverse of <see cref="ToMessage"/>).</summary>
    public static PublishedEvent FromReceived(ServiceBusReceivedMessage received)
    {
        ArgumentNullException.ThrowIfNull(received);
        var type = received.ApplicationProperties.TryGetValue(TypeProperty, out var t) ? t as string ?? received.Subject : received.Subject;
        var deliverAt = received.ScheduledEnqueueTime == default ? (DateTimeOffset?)null : received.ScheduledEnqueueTime;
        var key = received.SessionId == received.CorrelationId ? null : received.SessionId;
        return new PublishedEvent(received.MessageId, type, received.CorrelationId, received.Body.ToMemory(), key, deliverAt);
    }
}
