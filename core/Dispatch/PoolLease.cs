namespace Serverless.Core.Dispatch;

/// <summary>The outcome of asking a pool for a target.</summary>
public enum PickStatus
{
    /// <summary>A target was chosen and a lease taken on it.</summary>
    Picked,

    /// <summary>No pool of that name.</summary>
    PoolNotFound,

    /// <summary>Every target with weight is ejected; see <see cref="PickResult.RetryAfter"/>.</summary>
    AllEjected,

    /// <summary>No target is left (e.g. the only other target was excluded for a retry).</summary>
    NoTarget,

    /// <summary>The pool hashes by a key (ring-hash, maglev) and the request has none; see <see cref="PickResult.Detail"/>.</summary>
    NoKey,
}

/// <summary>A pick: the chosen target and its lease, or why there is none.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Lease">The lease when <see cref="PickStatus.Picked"/>.</param>
/// <param name="RetryAfter">Time until the first ejected target is readmitted, when <see cref="PickStatus.AllEjected"/>.</param>
/// <param name="Detail">What key was missing, when <see cref="PickStatus.NoKey"/>.</param>
public sealed record PickResult(PickStatus Status, PoolLease? Lease = null, TimeSpan? RetryAfter = null, string? Detail = null);

/// <summary>
/// An in-flight request counted against a target until it is recorded (or its lease expires).
/// </summary>
/// <param name="Pool">Pool name.</param>
/// <param name="TargetId">Chosen target.</param>
/// <param name="Kind">HTTP or queue.</param>
/// <param name="Address">Base URL or queue name.</param>
/// <param name="LeaseId">Lease to release when recording the outcome.</param>
/// <param name="Sequence">Position of this pick in the pool's shared sequence (all instances).</param>
/// <param name="Samples">The two targets power-of-two-choices compared (empty for other policies).</param>
/// <param name="Route">Why a ring-hash or maglev pool chose this target (null for other policies).</param>
public sealed record PoolLease(string Pool, string TargetId, TargetKind Kind, string Address, string LeaseId, long Sequence, IReadOnlyList<string> Samples, Hashing.HashRoute? Route = null);

/// <summary>How a request to a target ended, for health and latency.</summary>
public enum Outcome
{
    /// <summary>Answered (anything below 500).</summary>
    Success,

    /// <summary>Connect failure, timeout or 5xx: counts towards ejection.</summary>
    Failure,

    /// <summary>Abandoned by our caller (e.g. the client went away): only the lease is released.</summary>
    Released,
}

/// <summary>What recording an outcome did to the target's health.</summary>
/// <param name="Ejected">True when the target is (now or already) ejected.</param>
/// <param name="ConsecutiveFailures">Failures in a row so far (0 after a success or an ejection).</param>
/// <param name="EjectedUntil">End of the ejection, when ejected.</param>
public sealed record RecordResult(bool Ejected, int ConsecutiveFailures, DateTimeOffset? EjectedUntil);
