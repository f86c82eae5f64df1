using System.Security.Cryptography;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Options;
using Serverless.Core.Locking;
using Serverless.Core.Telemetry;

namespace Serverless.Orchestrations.Locks;

/// <summary>
/// A lease lock with fencing tokens and a FIFO line, as a durable entity (one entity per lock name).
/// <para>
/// Time: the entity reads the worker's clock through <see cref="TimeProvider"/>. Unlike orchestrators, entity
/// operations are not replayed: a batch runs once and its state and outgoing messages are committed together (a batch
/// that crashes is run again from the last committed state, with a fresh clock, and nothing of the failed run
/// escapes). So the clock read is not a determinism hazard here, and the entity stays the single judge of its
/// leases; a caller-supplied "now" would let a caller with a skewed or dishonest clock end someone else's lease.
/// </para>
/// <para>
/// Expiry: every operation first ends a lease that is due, so expiry is exact even if nobody reminds the entity; a
/// reminder signal scheduled for the lease end makes sure waiters are granted when no other operation arrives. The
/// reminder names the token and lease end it was set for, so an early delivery (timers here can fire early) is put
/// off again, and one made obsolete by a release or extend does nothing.
/// </para>
/// <para>
/// Identity: the owner a caller names is only a label. Each grant mints a random owner token (the grant's
/// <see cref="LockResult.Owner"/>, as on Redis), and release and extend need it with the fencing token; a caller
/// repeating an owner name gains nothing. A request id (not the owner name) ties a waiter to its request, so only the
/// request that was queued can withdraw or collect its grant. Random numbers are safe here for the same reason the
/// clock is: a batch is not replayed, a failed batch leaves nothing behind.
/// </para>
/// </summary>
public sealed class LockEntity(TimeProvider time, IOptions<LockingOptions> options) : TaskEntity<LockState>
{
    /// <summary>The entity id of the lock named <paramref name="lockName"/>.</summary>
    public static EntityInstanceId IdFor(string lockName) => new(nameof(LockEntity), lockName);

    /// <summary>Grants a free lock, answers the holder with its grant, queues (when asked to) or answers busy.</summary>
    public LockResult Acquire(LockAcquire request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var lease = CheckedLease(request.LeaseMs);
        ArgumentException.ThrowIfNullOrEmpty(request.Owner);
        var now = ExpireIfDue();
        if (IsGrantOf(request.RequestId))
        {
            return Current();
        }

        if (State.Holder is null)
        {
            return Grant(request.Owner, request.RequestId, lease, now);
        }

        var place = request.RequestId is null ? -1 : State.Waiters.FindIndex(w => w.RequestId == request.RequestId);
        var waiter = new LockWaiter(request.Owner, request.LeaseMs, request.NotifyInstanceId, request.RequestId);
        if (place >= 0)
        {
            // The same request asking again (a retried call) keeps its place in line.
            State.Waiters[place] = waiter;
            return new LockResult(LockOutcome.Queued, request.Owner, 0, null, place + 1);
        }

        if (!request.Wait)
        {
            return LockResult.Refused(LockOutcome.Busy);
        }

        State.Waiters.Add(waiter);
        LockMetrics.Waited(LockMetrics.Entity);
        return new LockResult(LockOutcome.Queued, request.Owner, 0, null, State.Waiters.Count);
    }

    /// <summary>Frees the lock for the holder (the grant's owner token and fencing token must match) and grants the next in line.</summary>
    public LockResult Release(LockRelease request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = ExpireIfDue();
        if (!IsHolder(request.Owner, request.Token))
        {
            LockMetrics.Refused(LockMetrics.Entity, "release");
            return LockResult.Refused(LockOutcome.NotHolder);
        }

        Free(now);
        return new LockResult(LockOutcome.Released, request.Owner, request.Token, null);
    }

    /// <summary>Sets the holder's lease to the given length from now.</summary>
    public LockResult Extend(LockExtend request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var lease = CheckedLease(request.LeaseMs);
        var now = ExpireIfDue();
        if (!IsHolder(request.Owner, request.Token))
        {
            LockMetrics.Refused(LockMetrics.Entity, "extend");
            return LockResult.Refused(LockOutcome.NotHolder);
        }

        State.ExpiresAt = now + lease;
        Remind();
        return Current() with { Outcome = LockOutcome.Extended };
    }

    /// <summary>
    /// Leaves the line. When the grant came first the caller is the holder: it gets the grant back (and must release
    /// it), so a grant racing a give-up is never lost in between.
    /// </summary>
    public LockResult Withdraw(LockWithdraw request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ExpireIfDue();
        if (IsGrantOf(request.RequestId))
        {
            return Current();
        }

        State.Waiters.RemoveAll(w => w.RequestId == request.RequestId);
        return LockResult.Refused(LockOutcome.Busy);
    }

    /// <summary>The reminder at a lease's end (see the class remarks).</summary>
    public void Expire(LockExpiry reminder)
    {
        ArgumentNullException.ThrowIfNull(reminder);
        ExpireIfDue();
        if (State.Holder is not null && State.Token == reminder.Token && State.ExpiresAt == reminder.ExpiresAt)
        {
            Remind();
        }
    }

    /// <summary>The lock as anyone may see it.</summary>
    public LockView Get()
    {
        ExpireIfDue();
        return new LockView(State.Holder is not null, State.Token, State.ExpiresAt, State.LastToken, State.Waiters.Count);
    }

    /// <inheritdoc />
    protected override bool AllowStateDispatch => false;

    /// <inheritdoc />
    protected override LockState InitializeState(TaskEntityOperation entityOperation) => new();

    private DateTimeOffset ExpireIfDue()
    {
        var now = time.GetUtcNow();
        if (State.Holder is not null && now >= State.ExpiresAt)
        {
            LockMetrics.Expired(LockMetrics.Entity);
            Free(now);
        }

        return now;
    }

    private void Free(DateTimeOffset now)
    {
        State.Holder = null;
        State.OwnerToken = null;
        State.GrantRequestId = null;
        State.Token = 0;
        State.ExpiresAt = null;
        if (State.Waiters.Count == 0)
        {
            return;
        }

        var next = State.Waiters[0];
        State.Waiters.RemoveAt(0);
        var grant = Grant(next.Owner, next.RequestId, TimeSpan.FromMilliseconds(next.LeaseMs), now);
        if (next.NotifyInstanceId is not null)
        {
            // Entities cannot raise events in this SDK, but they can start orchestrations, and an orchestration can.
            Context.ScheduleNewOrchestration(nameof(LockGrantNotifier), new LockGrantNotice(next.NotifyInstanceId, next.RequestId, grant));
        }
    }

    private LockResult Grant(string owner, string? requestId, TimeSpan lease, DateTimeOffset now)
    {
        State.LastToken++;
        LockMetrics.Granted(LockMetrics.Entity);
        State.Holder = owner;
        State.OwnerToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        State.GrantRequestId = requestId;
        State.Token = State.LastToken;
        State.ExpiresAt = now + lease;
        Remind();
        return Current();
    }

    private void Remind() =>
        Context.SignalEntity(
            Context.Id, nameof(Expire), new LockExpiry(State.Token, State.ExpiresAt!.Value), new SignalEntityOptions { SignalTime = State.ExpiresAt });

    private LockResult Current() => new(LockOutcome.Granted, State.OwnerToken, State.Token, State.ExpiresAt);

    private bool IsHolder(string ownerToken, long token) =>
        State.OwnerToken is not null && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(State.OwnerToken), System.Text.Encoding.UTF8.GetBytes(ownerToken)) && State.Token == token;

    private bool IsGrantOf(string? requestId) => requestId is not null && State.Holder is not null && State.GrantRequestId == requestId;

    private TimeSpan CheckedLease(int leaseMs)
    {
        var lease = TimeSpan.FromMilliseconds(leaseMs);
        if (LockRules.CheckLease(lease, options.Value.MaxLease) is { } problem)
        {
            throw new ArgumentOutOfRangeException(nameof(leaseMs), leaseMs, problem);
        }

        return lease;
    }
}
