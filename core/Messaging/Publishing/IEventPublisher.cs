namespace Serverless.Core.Messaging.Publishing;

/// <summary>
/// Publishes domain events (job events now; catalog events can use the same) for downstream consumers. The app runs
/// the same with or without a broker: without one configured, <see cref="NoEventPublisher"/> drops everything.
/// </summary>
public interface IEventPublisher
{
    /// <summary>True when events go somewhere.</summary>
    bool IsEnabled { get; }

    /// <summary>Publishes <paramref name="events"/> in order. At-least-once: a repeat carries the same <see cref="PublishedEvent.Id"/>.</summary>
    Task PublishAsync(IReadOnlyList<PublishedEvent> events, CancellationToken cancellationToken = default);
}

/// <summary>One event to publish.</summary>
/// <param name="Id">Stable id: the same event published twice has the same id, so the broker drops the repeat.</param>
/// <param name="Type">Event type, e.g. <c>job.succeeded</c>.</param>
/// <param name="Subject">What it is about, e.g. the job id.</param>
/// <param name="Body">UTF-8 JSON.</param>
/// <param name="OrderingKey">Events with the same key are delivered in order (a Service Bus session); null = the subject.</param>
/// <param name="DeliverAt">Deliver no earlier than this (scheduled delivery), or null for now.</param>
public sealed record PublishedEvent(string Id, string Type, string Subject, ReadOnlyMemory<byte> Body, string? OrderingKey = null, DateTimeOffset? DeliverAt = null);

/// <summary>The publisher when no broker is configured: nothing is sent.</summary>
public sealed class NoEventPublisher : IEventPublisher
{
    /// <inheritdoc />
    public bool IsEnabled => false;

    /// <inheritdoc />
    public Task PublishAsync(IReadOnlyList<PublishedEvent> events, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
