namespace Serverless.Orchestrations.Locks;

/// <summary>
/// Durable state of one <see cref="LockEntity"/>. It is never deleted: <see cref="LastToken"/> must survive every
/// release and expiry, or fencing tokens would start again from 1 and stale holders would pass the fence.
/// </summary>
public sealed class LockState
{
    /// <summary>The highest fencing token ever minted; the next grant gets one more.</summary>
    public long LastToken { get; set; }

    /// <summary>The owner name the current holder gave (a label, not proof of holding); null when free.</summary>
    public string? Holder { get; set; }

    /// <summary>The random owner token minted for the current grant; release and extend must present it.</summary>
    public string? OwnerToken { get; set; }

    /// <summary>The request the current grant answered, so that request alone can collect or withdraw it.</summary>
    public string? GrantRequestId { get; set; }

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
