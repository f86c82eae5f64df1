namespace Serverless.Core.Messaging;

/// <summary>
/// One queue consumer's part of the <see cref="MessagePipeline"/>: how to read a message, what makes two messages the
/// same piece of work, and the work itself. The pipeline does the rest (inbox, retries, poison).
/// </summary>
/// <typeparam name="TMessage">The decoded message.</typeparam>
public interface IMessageHandler<TMessage>
{
    /// <summary>The consumer's name: its settings section (<c>Messaging:Consumers:&lt;name&gt;</c>) and inbox partition.</summary>
    string Consumer { get; }

    /// <summary>The queue this consumer's trigger reads; retries go back to it and poison to <c>&lt;queue&gt;-poison</c>.</summary>
    string Queue { get; }

    /// <summary>Reads a message body; a failure can never succeed later, so the message goes to poison at once.</summary>
    MessageDecoding<TMessage> Decode(string body);

    /// <summary>
    /// A business id that makes two messages the same work (a change id, a job id), or null to claim by the queue
    /// message id. Two messages with one key have one effect.
    /// </summary>
    string? InboxKey(TMessage message);

    /// <summary>
    /// Does the work. Report <see cref="HandlerResult.Transient"/> for what may succeed later and
    /// <see cref="HandlerResult.Permanent"/> for what never will; an exception counts as transient. The work must be
    /// safe to run again after a crash between its effect and the inbox's completion (the claim is then retried).
    /// </summary>
    Task<HandlerResult> HandleAsync(TMessage message, MessageDelivery delivery, CancellationToken cancellationToken);
}

/// <summary>A decoded message, or why the body can never be handled.</summary>
/// <typeparam name="TMessage">The decoded message.</typeparam>
/// <param name="Message">The message when <paramref name="Error"/> is null.</param>
/// <param name="Error">Why the body is undecodable.</param>
public readonly record struct MessageDecoding<TMessage>(TMessage? Message, string? Error)
{
    /// <summary>A decoded message.</summary>
    public static MessageDecoding<TMessage> Ok(TMessage message) => new(message, null);

    /// <summary>An undecodable body.</summary>
    public static MessageDecoding<TMessage> Fail(string error) => new(default, error);
}

/// <summary>What happened to a message's work.</summary>
public enum HandlerStatus
{
    /// <summary>Done: the inbox records it, so a redelivery has no second effect.</summary>
    Succeeded,

    /// <summary>May succeed later: retried with backoff until the consumer's attempt limit.</summary>
    Transient,

    /// <summary>Never succeeds as it is: moved to the poison queue at once.</summary>
    Permanent,
}

/// <summary>A handler's report.</summary>
/// <param name="Status">Succeeded, transient or permanent.</param>
/// <param name="Error">Why it failed (kept in the retry and poison envelopes).</param>
public readonly record struct HandlerResult(HandlerStatus Status, string? Error)
{
    /// <summary>The work is done.</summary>
    public static HandlerResult Succeeded { get; } = new(HandlerStatus.Succeeded, null);

    /// <summary>A failure a retry may not repeat.</summary>
    public static HandlerResult Transient(string error) => new(HandlerStatus.Transient, error);

    /// <summary>A failure every retry would repeat.</summary>
    public static HandlerResult Permanent(string error) => new(HandlerStatus.Permanent, error);
}

/// <summary>What the pipeline knows about the delivery a handler runs in.</summary>
/// <param name="InboxId">The id the work is claimed by.</param>
/// <param name="MessageId">The queue message id of the first delivery.</param>
/// <param name="Attempt">1 for the first delivery.</param>
/// <param name="FirstSeen">When the pipeline first saw the message.</param>
/// <param name="ReplayCount">How often an operator replayed it from poison.</param>
public sealed record MessageDelivery(string InboxId, string MessageId, int Attempt, DateTimeOffset FirstSeen, int ReplayCount);
