using System.Text.Json.Serialization;

namespace Serverless.Core.Locking;

/// <summary>What a lock operation did, on either backend. Written as its name in JSON (HTTP bodies and durable payloads).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LockOutcome>))]
public enum LockOutcome
{
    /// <summary>The caller holds the lock now (or already did: acquire is idempotent for the holder).</summary>
    Granted,

    /// <summary>The lock is held by someone else; the caller waits in line and is granted in FIFO order.</summary>
    Queued,

    /// <summary>The lock is held by someone else and the caller did not wait (or gave up waiting).</summary>
    Busy,

    /// <summary>The holder released the lock.</summary>
    Released,

    /// <summary>The holder's lease was extended.</summary>
    Extended,

    /// <summary>The caller does not hold the lock with that token (never did, or its lease expired): nothing changed.</summary>
    NotHolder,
}

/// <summary>
/// The answer of a lock operation. <see cref="Token"/> is the fencing token of the caller's grant: it only ever grows
/// for a given lock, so a resource that remembers the highest token it has seen can refuse a stale holder.
/// </summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Owner">The grant's owner token: random and fresh per grant on both backends, and with <paramref name="Token"/> what release and extend require (the owner name asked with is not enough).</param>
/// <param name="Token">The fencing token of the grant; 0 when nothing was granted.</param>
/// <param name="ExpiresAt">When the lease ends unless extended; null when nothing is held by the caller.</param>
/// <param name="Position">1-based place in line when <see cref="LockOutcome.Queued"/>.</param>
public sealed record LockResult(LockOutcome Outcome, string? Owner, long Token, DateTimeOffset? ExpiresAt, int? Position = null)
{
    /// <summary>True when the caller holds the lock after the operation.</summary>
    public bool Holds => Outcome is LockOutcome.Granted or LockOutcome.Extended;

    /// <summary>A refusal that changed nothing.</summary>
    public static LockResult Refused(LockOutcome outcome) => new(outcome, null, 0, null);
}

/// <summary>
/// What anyone may see of a lock. The holder's owner is left out on purpose: owner plus token is what authorizes
/// release and extend, so publishing both would let any reader take the lock away.
/// </summary>
/// <param name="Held">Whether a live lease exists.</param>
/// <param name="Token">The current holder's fencing token (0 when free).</param>
/// <param name="ExpiresAt">When the current lease ends.</param>
/// <param name="LastToken">The highest token minted for this lock (on Redis: 0 once the lock has been idle long enough for its fence to expire).</param>
/// <param name="Waiters">How many callers wait in line (always 0 on Redis, which has no queue).</param>
public sealed record LockView(bool Held, long Token, DateTimeOffset? ExpiresAt, long LastToken, int Waiters);
