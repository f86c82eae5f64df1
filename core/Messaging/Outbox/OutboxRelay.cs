using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Serverless.Core.Storage;

namespace Serverless.Core.Messaging.Outbox;

/// <summary>Where a relay pass can be cut short (crash windows the tests inject).</summary>
public enum OutboxStep
{
    /// <summary>After one message of a batch is on its queue.</summary>
    Published,

    /// <summary>After every message is on its queue, before the batch is marked sent.</summary>
    BeforeMark,
}

/// <summary>
/// Moves recorded batches from the <see cref="OutboxStore"/> to their queues, then marks them sent. Run by a timer
/// (<c>Messaging:OutboxRelaySchedule</c>) and nudged after each write. A crash after some sends repeats them on the
/// next pass: at least once, so consumers claim the messages by a business id fixed when they were recorded (the
/// inbox makes the repeat a no-op).
/// </summary>
public sealed partial class OutboxRelay(OutboxStore outbox, StorageClients storage, ILogger<OutboxRelay> logger)
{
    private readonly ConcurrentDictionary<string, Lazy<Task>> _created = new(StringComparer.Ordinal);

    /// <summary>Crash injection for tests: throws at the step it is given.</summary>
    internal Func<OutboxStep, int, Task>? Fault { get; set; }

    // Long enough for a large batch to be sent on a busy host; a crashed relay's batch waits this long. Tests shorten it.
    internal TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a sent batch's head is kept, so a caller recording the same batch id again records nothing.</summary>
    internal static TimeSpan Retention { get; } = TimeSpan.FromDays(1);

    /// <summary>Relays every pending batch and sweeps old sent ones; returns how many were sent.</summary>
    public async Task<int> RelayPendingAsync(CancellationToken ct)
    {
        await outbox.SweepAsync(Retention, ct);
        var sent = 0;
        foreach (var id in await outbox.PendingAsync(ct))
        {
            try
            {
                sent += await RelayAsync(id, ct) ? 1 : 0;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // One bad batch (a queue that cannot be written) must not hold up the others; it stays pending.
                LogRelayFailed(logger, ex, id);
            }
        }

        return sent;
    }

    /// <summary>Relays one batch; false when there was nothing to do (sent, gone, or held by another relay).</summary>
    public async Task<bool> RelayAsync(string batchId, CancellationToken ct)
    {
        if (await outbox.TakeAsync(batchId, Lease, ct) is not { } batch)
        {
            return false;
        }

        var queue = storage.Queues.GetQueueClient(batch.Destination);
        var created = _created.GetOrAdd(batch.Destination, _ => new(() => queue.CreateIfNotExistsAsync()));
        try
        {
            await created.Value;
        }
        catch
        {
            _created.TryRemove(KeyValuePair.Create(batch.Destination, created));
            throw;
        }

        for (var i = 0; i < batch.Messages.Count; i++)
        {
            await queue.SendMessageAsync(batch.Messages[i], ct);
            await (Fault?.Invoke(OutboxStep.Published, i) ?? Task.CompletedTask);
        }

        await (Fault?.Invoke(OutboxStep.BeforeMark, batch.Messages.Count) ?? Task.CompletedTask);
        await outbox.MarkSentAsync(batchId, ct);
        return true;
    }

    /// <summary>
    /// The nudge after a write: relays the batch now, and leaves it to the timer when that fails (the batch is
    /// recorded, so the caller's request stands).
    /// </summary>
    public async Task NudgeAsync(string batchId, CancellationToken ct)
    {
        try
        {
            await RelayAsync(batchId, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogRelayFailed(logger, ex, batchId);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Outbox batch {BatchId} not relayed yet; the relay timer retries it")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception, string batchId);
}
