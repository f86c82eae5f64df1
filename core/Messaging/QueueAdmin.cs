using System.Net;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Serverless.Core.Storage;
using Serverless.Core.Telemetry;

namespace Serverless.Core.Messaging;

/// <summary>One app queue at a glance.</summary>
/// <param name="Name">The queue.</param>
/// <param name="Consumer">Its consumer, or null for a queue the app only writes.</param>
/// <param name="Depth">Messages in it (approximate, invisible ones included).</param>
/// <param name="OldestAgeSeconds">Age of the oldest visible message, or null when none is visible.</param>
/// <param name="PoisonDepth">Messages in its poison queue.</param>
public sealed record QueueStatus(string Name, string? Consumer, int Depth, double? OldestAgeSeconds, int PoisonDepth);

/// <summary>A poison message as an operator sees it.</summary>
/// <param name="MessageId">The poison message's id (what a replay of one names).</param>
/// <param name="InsertedOn">When it was poisoned.</param>
/// <param name="Envelope">The envelope; for a message the Functions runtime poisoned itself, one built from it.</param>
/// <param name="ByRuntime">True when the runtime, not the pipeline, moved it (a pipeline failure after its retries).</param>
public sealed record PoisonMessage(string MessageId, DateTimeOffset? InsertedOn, MessageEnvelope Envelope, bool ByRuntime);

/// <summary>What a replay did.</summary>
/// <param name="Replayed">Sent back to the source queue.</param>
/// <param name="AlreadyDone">Dropped: the inbox had the work completed, so replaying it would have no effect.</param>
public sealed record ReplayResult(int Replayed, int AlreadyDone);

/// <summary>
/// Operator actions on app queues and their poison queues: overview, peek, replay (back to the source queue with the
/// replay count raised, or dropped when the inbox already completed the work) and purge. Only queues in
/// <see cref="AppQueues"/> are reachable.
/// </summary>
public sealed class QueueAdmin(StorageClients storage, AppQueues queues, Inbox inbox, TimeProvider time)
{
    // Storage returns at most 32 messages per receive or peek.
    private const int Page = 32;
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(1);

    /// <summary>Every app queue with its depth, oldest message age and poison depth.</summary>
    public async Task<IReadOnlyList<QueueStatus>> ListAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return await Task.WhenAll(queues.All.Select(async q =>
        {
            var queue = storage.Queues.GetQueueClient(q.Name);
            var (depth, oldest) = await DepthAsync(queue, ct);
            var (poison, _) = await DepthAsync(storage.Queues.GetQueueClient(PoisonQueue.For(q.Name)), ct);
            return new QueueStatus(q.Name, q.Consumer, depth, oldest is { } at ? Math.Max(0, (now - at).TotalSeconds) : null, poison);
        }));
    }

    /// <summary>Up to <paramref name="max"/> (1-32) poison messages of <paramref name="queue"/>, oldest first, left in place.</summary>
    public async Task<IReadOnlyList<PoisonMessage>> PeekAsync(AppQueue queue, int max, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queue);
        try
        {
            var peeked = await Poison(queue).PeekMessagesAsync(Math.Clamp(max, 1, Page), ct);
            return peeked.Value.Select(m => Read(queue, m.MessageId, m.InsertedOn, m.DequeueCount, m.Body.ToString())).ToList();
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return [];
        }
    }

    /// <summary>
    /// Replays the poison message <paramref name="messageId"/>, or every one when it is null. Returns null when the
    /// named message is not there.
    /// </summary>
    public async Task<ReplayResult?> ReplayAsync(AppQueue queue, string? messageId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var poison = Poison(queue);
        var (depth, _) = await DepthAsync(poison, ct);
        if (depth == 0)
        {
            return messageId is null ? new ReplayResult(0, 0) : null;
        }

        var source = storage.Queues.GetQueueClient(queue.Name);
        await source.CreateIfNotExistsAsync(cancellationToken: ct);
        var (replayed, done, seen, found) = (0, 0, 0, false);
        var passedOver = new List<QueueMessage>();
        // Bounded by the depth at the start: a replay that fails again comes back to poison later, not into this loop.
        while (seen < depth + Page && !found)
        {
            var batch = (await poison.ReceiveMessagesAsync(Page, Hold, ct)).Value;
            if (batch.Length == 0)
            {
                break;
            }

            foreach (var message in batch)
            {
                seen++;
                if (messageId is not null && message.MessageId != messageId)
                {
                    passedOver.Add(message);
                    continue;
                }

                found = messageId is not null;
                var envelope = Read(queue, message.MessageId, message.InsertedOn, message.DequeueCount, message.Body.ToString()).Envelope;
                if (envelope.Id is { } id && envelope.Consumer is { } consumer && await inbox.IsDoneAsync(consumer, id, ct))
                {
                    done++;
                }
                else
                {
                    var again = envelope with { Attempt = 1, ReplayCount = envelope.ReplayCount + 1, LastSeen = time.GetUtcNow(), SourceQueue = queue.Name };
                    await source.SendMessageAsync(again.ToText(), ct);
                    MessagingMetrics.MessageReplayed(envelope.Consumer ?? queue.Name);
                    replayed++;
                }

                // Deleted after the send: a crash in between leaves the message in poison too, and the inbox makes the
                // second copy a no-op once either has run.
                await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
            }
        }

        // Messages that were not asked for become visible again at once instead of after the hold.
        foreach (var message in passedOver)
        {
            await poison.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: ct);
        }

        return messageId is not null && !found ? null : new ReplayResult(replayed, done);
    }

    /// <summary>Deletes every poison message of <paramref name="queue"/>; returns how many there were (approximately).</summary>
    public async Task<int> PurgeAsync(AppQueue queue, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var poison = Poison(queue);
        var (depth, _) = await DepthAsync(poison, ct);
        if (depth > 0)
        {
            await poison.ClearMessagesAsync(ct);
        }

        return depth;
    }

    private QueueClient Poison(AppQueue queue) => storage.Queues.GetQueueClient(PoisonQueue.For(queue.Name));

    // A message the Functions runtime poisoned (the pipeline itself kept failing) has no envelope: show it as one.
    private static PoisonMessage Read(AppQueue queue, string messageId, DateTimeOffset? insertedOn, long dequeueCount, string body)
    {
        if (MessageEnvelope.TryRead(body) is { } envelope)
        {
            return new PoisonMessage(messageId, insertedOn, envelope, false);
        }

        var seen = insertedOn ?? default;
        var raw = MessageEnvelope.Wrap(body, queue.Name, messageId, seen) with
        {
            Consumer = queue.Consumer,
            Attempt = (int)Math.Max(1, dequeueCount),
            Error = "Moved to poison by the Functions runtime after its own retries (the message pipeline failed).",
        };
        return new PoisonMessage(messageId, insertedOn, raw, true);
    }

    private static async Task<(int Depth, DateTimeOffset? Oldest)> DepthAsync(QueueClient queue, CancellationToken ct)
    {
        try
        {
            var properties = await queue.GetPropertiesAsync(ct);
            var depth = properties.Value.ApproximateMessagesCount;
            if (depth == 0)
            {
                return (0, null);
            }

            var first = (await queue.PeekMessagesAsync(1, ct)).Value;
            return (depth, first.Length > 0 ? first[0].InsertedOn : null);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return (0, null);
        }
    }
}
