using System.Text;
using Microsoft.Extensions.Logging;
using Serverless.Core.Messaging;

namespace Serverless.Core.Dispatch;

/// <summary>
/// Delivers queued dispatch requests the same way as HTTP ones (POST of the payload), as the <c>dispatch</c> consumer
/// of the <see cref="MessagePipeline"/>: a delivery that may succeed later (target failing, all ejected) is a transient
/// failure the pipeline retries with backoff; one that never can (malformed, unknown pool) is poisoned at once.
/// </summary>
public sealed partial class QueueDispatcher(DispatchForwarder forwarder, ILogger<QueueDispatcher> logger) : IMessageHandler<DispatchMessage>
{
    /// <summary>The queue the trigger listens on.</summary>
    public const string QueueName = "dispatch-requests";

    /// <summary>The consumer name (settings <c>Messaging:Consumers:dispatch</c>).</summary>
    public const string ConsumerName = "dispatch";

    /// <inheritdoc />
    public string Consumer => ConsumerName;

    /// <inheritdoc />
    public string Queue => QueueName;

    /// <inheritdoc />
    public MessageDecoding<DispatchMessage> Decode(string body)
    {
        var (message, error) = DispatchMessage.Parse(body);
        return message is null ? MessageDecoding<DispatchMessage>.Fail(error!) : MessageDecoding<DispatchMessage>.Ok(message);
    }

    /// <inheritdoc />
    // Two messages with one Idempotency-Key for one pool are one request; without a key each message is its own.
    public string? InboxKey(DispatchMessage message) => message?.IdempotencyKey is { } key ? $"{message.Pool}:{key}" : null;

    /// <inheritdoc />
    public async Task<HandlerResult> HandleAsync(DispatchMessage message, MessageDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var headers = new List<KeyValuePair<string, string>> { new("Content-Type", "application/json") };
        if (message.IdempotencyKey is { } key)
        {
            headers.Add(new(ForwardRequest.IdempotencyKeyHeader, key));
        }

        var body = message.Payload is { } payload ? Encoding.UTF8.GetBytes(payload.GetRawText()) : [];
        var result = await forwarder.ForwardAsync(new ForwardRequest(message.Pool, "POST", message.Path, headers, body), cancellationToken);
        switch (result.Status)
        {
            case ForwardStatus.PoolNotFound:
                return HandlerResult.Permanent($"No pool named '{message.Pool}'.");
            case ForwardStatus.Relayed when result.StatusCode < 500:
                if (result.StatusCode >= 400)
                {
                    LogClientError(logger, message.Pool, result.TargetId, result.StatusCode);
                }

                return HandlerResult.Succeeded;
            default:
                return HandlerResult.Transient(
                    $"Dispatch to pool '{message.Pool}' failed ({result.Status}{(result.StatusCode > 0 ? $" {result.StatusCode}" : "")}" +
                    $"{(result.TargetId is null ? "" : $" from {result.TargetId}")}): {result.Detail ?? "target answered with a server error"}.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dispatch pool {Pool}: target {Target} answered {Status} to a queued message; not retried")]
    private static partial void LogClientError(ILogger logger, string pool, string? target, int status);
}
