using Serverless.Core.Locking;

namespace Serverless.Orchestrations.Locks;

/// <summary>Input of <see cref="LockEntity.Acquire"/>.</summary>
/// <param name="Owner">Who asks: a label only; the grant carries a fresh random owner token.</param>
/// <param name="LeaseMs">Lease length once granted.</param>
/// <param name="Wait">Whether to queue when the lock is held (else the answer is <see cref="LockOutcome.Busy"/>).</param>
/// <param name="NotifyInstanceId">The orchestration to tell about a later grant (event <see cref="LockEvents.Granted"/>); null for none.</param>
/// <param name="RequestId">
/// Identifies the request: the same request asking again gets its grant or keeps its place; echoed in the grant
/// notice, so a waiter can tell this request's grant from an older one.
/// </param>
public sealed record LockAcquire(string Owner, int LeaseMs, bool Wait, string? NotifyInstanceId = null, string? RequestId = null);

/// <summary>Input of <see cref="LockEntity.Release"/>.</summary>
/// <param name="Owner">The grant's owner token (<see cref="LockResult.Owner"/>), not the owner name.</param>
/// <param name="Token">The holder's fencing token.</param>
public sealed record LockRelease(string Owner, long Token);

/// <summary>Input of <see cref="LockEntity.Extend"/>.</summary>
/// <param name="Owner">The grant's owner token (<see cref="LockResult.Owner"/>), not the owner name.</param>
/// <param name="Token">The holder's fencing token.</param>
/// <param name="LeaseMs">The new lease, counted from now.</param>
public sealed record LockExtend(string Owner, long Token, int LeaseMs);

/// <summary>Input of <see cref="LockEntity.Withdraw"/>.</summary>
/// <param name="RequestId">The queued request giving up.</param>
public sealed record LockWithdraw(string RequestId);

/// <summary>The entity's reminder to itself that the lease of <paramref name="Token"/> ends at <paramref name="ExpiresAt"/>.</summary>
/// <param name="Token">The grant the reminder is about.</param>
/// <param name="ExpiresAt">The lease end it was scheduled for; a later extend makes this reminder obsolete.</param>
public sealed record LockExpiry(long Token, DateTimeOffset ExpiresAt);

/// <summary>A grant told to a waiting orchestration.</summary>
/// <param name="InstanceId">The waiting orchestration.</param>
/// <param name="RequestId">The request that was granted.</param>
/// <param name="Grant">The grant.</param>
public sealed record LockGrantNotice(string InstanceId, string? RequestId, LockResult Grant);

/// <summary>Names of the events lock waiters receive.</summary>
public static class LockEvents
{
    /// <summary>Raised on a waiting orchestration when its queued acquire is granted.</summary>
    public const string Granted = "LockGranted";
}
