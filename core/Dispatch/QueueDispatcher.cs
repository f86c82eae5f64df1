using System.Text;
using Microsoft.Extensions.Logging;
using Serverless.Core.Storage;

namespace Serverless.Core.Dispatch;

/// <summary>
/// Delivers queued dispatch requests the same way as HTTP ones (POST of the payload). A delivery that may succeed later
/// (target failing, all ejected) throws, so the Functions runtime retries the message and, after
/// <c>maxDequeueCount</c> attempts, moves it to the poison queue. A message that can never succeed (malformed, unknown
/// pool) goes to the poison queue at once with the reason logged, instead of burning every retry.
/// </summary>
public sealed partial class QueueDispatcher(DispatchForwarder forwarder, StorageClients storage, ILogger<QueueDispatcher> logger)
{
    /// <summary>The queue the trigger listens on.</summary>
    public const string QueueName = "dispatch-requests";

    /// <summary>Where undeliverable messages end (the runtime's own poison-queue naming).</summary>
    public const string PoisonQueueName = QueueName + "-poison";

    /// <summary>How a message was handled when it did not throw.</summary>
    public enum Handling
    {
        /// <summary>A target answered below 500 (a 4xx is logged: retrying would not change it).</summary>
        Delivered,

        /// <summary>Undeliverable; copied to the poison queue.</summary>
        Rejected,
    }

    /// <summary>Handles one message text. Throws <see cref="DispatchDeliveryException"/> when a retry may succeed.</summary>
    public async Task<Handling> HandleAsync(string text, CancellationToken cancellationToken)
    {
        var (message, error) = DispatchMessage.Parse(text);
        if (message is null)
        {
            return await RejectAsync(text, error!, cancellationToken);
        }

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
                return await RejectAsync(text, $"No pool named '{message.Pool}'.", cancellationToken);
            case ForwardStatus.MissingKey:
                return await RejectAsync(text, result.Detail ?? "The pool needs a hash key.", cancellationToken);
            case ForwardStatus.Relayed when result.StatusCode < 500:
                if (result.StatusCode >= 400)
                {
                    LogClientError(logger, message.Pool, result.TargetId, result.StatusCode);
                }

                return Handling.Delivered;
            default:
                throw new DispatchDeliveryException(
                    $"Dispatch to pool '{message.Pool}' failed ({result.Status}{(result.StatusCode > 0 ? $" {result.StatusCode}" : "")}" +
                    $"{(result.TargetId is null ? "" : $" from {result.TargetId}")}): {result.Detail ?? "target answered with a server error"}. The runtime will retry.");
        }
    }

    private async Task<Handling> RejectAsync(string text, string reason, CancellationToken cancellationToken)
    {
        LogRejected(logger, reason);
        var poison = storage.Queues.GetQueueClient(PoisonQueueName);
        await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await poison.SendMessageAsync(text, cancellationToken);
        return Handling.Rejected;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Dispatch message rejected to the poison queue: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dispatch pool {Pool}: target {Target} answered {Status} to a queued message; not retried")]
    private static partial void LogClientError(ILogger logger, string pool, string? target, int status);
}

/// <summary>A queued dispatch that failed but may succeed on a later attempt.</summary>
public sealed class DispatchDeliveryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DispatchDeliveryException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public DispatchDeliveryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public DispatchDeliveryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
