namespace Serverless.Orchestrations.Locks;

/// <summary>
/// Durable state of one <see cref="LockEntity"/>. It is never deleted: <see cref="LastToken"/> must survive every
/// release and expiry, or fencing tokens would start again from 1 and stale holders would pass the fence.
/// </summary>
public sealed class LockState
{
    /// <summary>The highest fencing token ever minted; the next grant gets one more.</summary>
    public long LastToken { get; set; }

    /// <summary>The current holder; null when free.</summary>
    public string? Holder { get; set; }

    /// <summary>The current holder's fencing token.</summary>
    public long Token { get; set; }

    /// <summary>When the current lease ends.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Callers waiting for the lock, first come first served.</summary>
    public List<LockWaiter> Waiters { get; set; } = [];
}

/// <summary>One caller in line for a <see cref="LockEntity"/>.</summary>
/// <param name="Owner">Who waits.</param>
/// <param name="LeaseMs">The lease it gets once granted.</param>
/// <param name="NotifyInstanceId">The orchestration to notify on grant, if any.</param>
/// <param name="RequestId">Echoed in the notice.</param>
public sealed record LockWaiter(string Owner, int LeaseMs, string? NotifyInstanceId, string? RequestId);
