using Microsoft.DurableTask;
using Serverless.Core.Locking;

namespace Serverless.Orchestrations.Locks;

/// <summary>Taking and giving up a <see cref="LockEntity"/> lock from inside an orchestration.</summary>
public static class LockOrchestrationExtensions
{
    /// <summary>
    /// Asks for the lock and, when it is held, waits in line for up to <paramref name="wait"/> without polling: the
    /// entity queues this orchestration and, on grant, starts <see cref="LockGrantNotifier"/>, which raises
    /// <see cref="LockEvents.Granted"/> here. A durable timer bounds the wait; on timeout the orchestration withdraws,
    /// and the entity's answer settles a grant that raced the timeout (the caller then holds the lock).
    /// </summary>
    public static async Task<LockResult> AcquireLockAsync(
        this TaskOrchestrationContext context, string lockName, string owner, TimeSpan lease, TimeSpan wait)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = LockEntity.IdFor(lockName);
        var requestId = context.NewGuid().ToString("N");
        var request = new LockAcquire(owner, (int)lease.TotalMilliseconds, wait > TimeSpan.Zero, context.InstanceId, requestId);
        var first = await context.Entities.CallEntityAsync<LockResult>(id, nameof(LockEntity.Acquire), request);
        if (first.Outcome != LockOutcome.Queued)
        {
            return first;
        }

        using var cancel = new CancellationTokenSource();
        var timeout = context.CreateTimer(context.CurrentUtcDateTime + wait, cancel.Token);
        while (true)
        {
            var granted = context.WaitForExternalEvent<LockGrantNotice>(LockEvents.Granted, cancel.Token);
            if (await Task.WhenAny(granted, timeout) == timeout)
            {
                break;
            }

            // A notice for an earlier request of this instance (one that withdrew after its grant) is not ours.
            if (granted.Result.RequestId == requestId)
            {
                cancel.Cancel();
                return granted.Result.Grant;
            }
        }

        cancel.Cancel();
        return await context.Entities.CallEntityAsync<LockResult>(id, nameof(LockEntity.Withdraw), new LockWithdraw(requestId));
    }

    /// <summary>Releases the lock granted by <paramref name="grant"/> (its owner token and fencing token).</summary>
    public static Task<LockResult> ReleaseLockAsync(this TaskOrchestrationContext context, string lockName, LockResult grant)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(grant);
        return context.Entities.CallEntityAsync<LockResult>(
            LockEntity.IdFor(lockName), nameof(LockEntity.Release), new LockRelease(grant.Owner ?? "", grant.Token));
    }
}
