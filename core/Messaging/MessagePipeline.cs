using System.Collections.Concurrent;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;

namespace Serverless.Core.Messaging;

/// <summary>
/// The one way a queue trigger processes a message: decode → inbox claim → handle → complete, with retries re-enqueued
/// under exponential backoff and failures that cannot succeed parked in <c>&lt;queue&gt;-poison</c> as envelopes.
/// The original message is completed (the trigger returns normally) whatever happens to the work; only a failure of
/// the pipeline itself (Storage down) throws, and then the Functions runtime's own retry and poison step take over.
/// </summary>
public sealed partial class MessagePipeline(
    StorageClients storage, Inbox inbox, IOptions<MessagingOptions> options, TimeProvider time, ILogger<MessagePipeline> logger)
{
    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);
    private readonly ConcurrentDictionary<string, Lazy<Task>> _poisonQueues = new(StringComparer.Ordinal);

    /// <summary>Seeded by tests that check the jitter; shared otherwise.</summary>
    internal Random Jitter { get; set; } = Random.Shared;

    /// <summary>Processes one message the trigger received for <paramref name="handler"/>.</summary>
    public async Task<PipelineOutcome> ProcessAsync<TMessage>(IMessageHandler<TMessage> handler, QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(message);
        var settings = options.Value.For(handler.Consumer);
        var now = time.GetUtcNow();
        var text = message.Body?.ToString() ?? "";
        var envelope = MessageEnvelope.TryRead(text) ?? MessageEnvelope.Wrap(text, handler.Queue, message.MessageId, now);
        // A delivery the runtime repeated (the pipeline crashed or the host died mid-handler) counts as an attempt too.
        var attempt = envelope.Attempt + (int)Math.Max(0, message.DequeueCount - 1);
        envelope = envelope with { Consumer = handler.Consumer, Attempt = attempt, LastSeen = now, SourceQueue = handler.Queue };

        var decoded = handler.Decode(envelope.Body);
        if (decoded.Error is not null)
        {
            return await PoisonAsync(envelope, $"Undecodable: {decoded.Error}", cancellationToken);
        }

        envelope = envelope with { Id = envelope.Id ?? handler.InboxKey(decoded.Message!) ?? envelope.MessageId };
        if (attempt > settings.MaxAttempts)
        {
            return await PoisonAsync(envelope, $"{attempt - 1} deliveries ended without a result (worker crashes or timeouts). {envelope.Error}".TrimEnd(), cancellationToken);
        }

        var claim = await inbox.ClaimAsync(handler.Consumer, envelope.Id, settings.ClaimLease, cancellationToken);
        switch (claim.Status)
        {
            case ClaimStatus.AlreadyDone:
                LogDuplicate(logger, handler.Consumer, envelope.Id);
                return new PipelineOutcome(PipelineAction.Duplicate, attempt);
            case ClaimStatus.Busy:
                // Come back just after the holder's lease: by then it completed (→ duplicate) or crashed (→ take over).
                var delay = WholeSeconds(claim.LeaseUntil - now + TimeSpan.FromSeconds(1));
                await SendAsync(handler.Queue, envelope with { Attempt = attempt }, delay, cancellationToken);
                return new PipelineOutcome(PipelineAction.Deferred, attempt, delay);
        }

        var delivery = new MessageDelivery(envelope.Id, envelope.MessageId, attempt, envelope.FirstSeen, envelope.ReplayCount);
        var result = await HandleWhileRenewingAsync(handler, decoded.Message!, delivery, claim, settings.ClaimLease, cancellationToken);
        if (result.Status == HandlerStatus.Succeeded)
        {
            if (!await inbox.CompleteAsync(claim, cancellationToken))
            {
                LogClaimLost(logger, handler.Consumer, envelope.Id);
            }

            return new PipelineOutcome(PipelineAction.Handled, attempt);
        }

        await inbox.ReleaseAsync(claim, cancellationToken);
        var error = result.Error ?? result.Status.ToString();
        if (result.Status == HandlerStatus.Permanent)
        {
            return await PoisonAsync(envelope with { Error = error }, error, cancellationToken);
        }

        if (attempt >= settings.MaxAttempts)
        {
            return await PoisonAsync(envelope, $"Failed {attempt} times: {error}", cancellationToken);
        }

        var backoff = WholeSeconds(Backoff.Delay(attempt, settings.BackoffBase, settings.BackoffCap, Jitter));
        await SendAsync(handler.Queue, envelope with { Attempt = attempt + 1, Error = error }, backoff, cancellationToken);
        LogRetry(logger, handler.Consumer, envelope.Id, attempt, backoff, error);
        return new PipelineOutcome(PipelineAction.Retried, attempt, backoff, error);
    }

    // A long handler keeps its claim: renewing every third of the lease leaves two renewals of slack on a busy host.
    private async Task<HandlerResult> HandleWhileRenewingAsync<TMessage>(
        IMessageHandler<TMessage> handler, TMessage message, MessageDelivery delivery, InboxClaim claim, TimeSpan lease, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renewal = RenewAsync(claim, lease, stop.Token);
        try
        {
            return await handler.HandleAsync(message, delivery, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            return HandlerResult.Transient($"{ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            await stop.CancelAsync();
            await renewal;
        }
    }

    private async Task RenewAsync(InboxClaim claim, TimeSpan lease, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(lease / 3, time, stop);
                if (!await inbox.RenewAsync(claim, lease, stop))
                {
                    LogClaimLost(logger, claim.Consumer, claim.Id);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A renewal that failed (Storage blip) costs only the protection against a second delivery; the work goes on.
            LogRenewalFailed(logger, ex, claim.Consumer, claim.Id);
        }
    }

    private async Task<PipelineOutcome> PoisonAsync(MessageEnvelope envelope, string error, CancellationToken ct)
    {
        var poison = storage.Queues.GetQueueClient(PoisonQueue.For(envelope.SourceQueue));
        await EnsureCreatedAsync(poison);
        await poison.SendMessageAsync((envelope with { Error = error }).ToText(), visibilityTimeout: null, timeToLive: NeverExpires, ct);
        LogPoisoned(logger, envelope.Consumer ?? "", envelope.SourceQueue, envelope.Attempt, error);
        return new PipelineOutcome(PipelineAction.Poisoned, envelope.Attempt, Error: error);
    }

    // Once per poison queue and process; a failed create is forgotten so the next poisoning tries again.
    private async Task EnsureCreatedAsync(QueueClient poison)
    {
        var created = _poisonQueues.GetOrAdd(poison.Name, _ => new(() => poison.CreateIfNotExistsAsync()));
        try
        {
            await created.Value;
        }
        catch
        {
            _poisonQueues.TryRemove(KeyValuePair.Create(poison.Name, created));
            throw;
        }
    }

    // Storage takes visibility in whole seconds and drops the fraction: rounding up keeps a 0.7 s delay from being none.
    private static TimeSpan WholeSeconds(TimeSpan delay) => TimeSpan.FromSeconds(Math.Ceiling(delay.TotalSeconds));

    private Task SendAsync(string queue, MessageEnvelope envelope, TimeSpan delay, CancellationToken ct) =>
        storage.Queues.GetQueueClient(queue).SendMessageAsync(envelope.ToText(), delay > TimeSpan.Zero ? delay : null, timeToLive: null, ct);

    [LoggerMessage(LogLevel.Information, "{Consumer}: {Id} was handled before; this delivery has no effect")]
    private static partial void LogDuplicate(ILogger logger, string consumer, string id);

    [LoggerMessage(LogLevel.Warning, "{Consumer}: attempt {Attempt} of {Id} failed, retrying in {Delay}: {Error}")]
    private static partial void LogRetry(ILogger logger, string consumer, string id, int attempt, TimeSpan delay, string error);

    [LoggerMessage(LogLevel.Error, "{Consumer}: message from {Queue} moved to poison after {Attempt} attempt(s): {Error}")]
    private static partial void LogPoisoned(ILogger logger, string consumer, string queue, int attempt, string error);

    [LoggerMessage(LogLevel.Warning, "{Consumer}: the claim on {Id} ran out and another delivery took it; the work may have run twice")]
    private static partial void LogClaimLost(ILogger logger, string consumer, string id);

    [LoggerMessage(LogLevel.Warning, "{Consumer}: renewing the claim on {Id} failed; it holds until its lease ends")]
    private static partial void LogRenewalFailed(ILogger logger, Exception exception, string consumer, string id);
}

/// <summary>The poison queue naming (the Functions runtime's own, so both end in one place).</summary>
public static class PoisonQueue
{
    /// <summary>The poison queue of <paramref name="queue"/>.</summary>
    public static string For(string queue) => queue + "-poison";
}
