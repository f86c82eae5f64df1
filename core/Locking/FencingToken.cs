namespace Serverless.Core.Locking;

/// <summary>
/// How a Redis lock's fencing token is laid out: <c>token = epoch * 2^24 + counter</c>.
/// <para>
/// Why an epoch: Redis keeps the per-lock counter in memory, and a restart without persistence, an eviction or the idle
/// expiry of the counter all make it forget. Counting again from
/// wherever Redis restarts would mint tokens below one a paused holder still carries, and the fenced resource would
/// then accept the old holder and refuse the new one. So each lock also has an epoch in Table storage (durable,
/// ETag-guarded, see <see cref="LockEpochs"/>), bumped whenever the counter is found missing; every token of a later
/// epoch is above every token of an earlier one, whatever Redis forgot.
/// </para>
/// <para>
/// Why one number and not an (epoch, counter) pair: every resource (<see cref="FencedTable"/>, callers over HTTP)
/// already compares one integer; a pair would change each of them. Why 24 + 29 bits: the token must stay at or below
/// 2^53 - 1 to be exact as a JSON number (JavaScript and other double-based readers) and as a number inside the Lua
/// scripts (Lua 5.1 numbers are doubles). 2^24 (16.7 million) grants fit in one epoch, and a lock that uses them up rolls
/// into the next epoch (one Table round trip); 2^29 (537 million) epochs fit per lock, and one is spent on first use,
/// after each idle expiry of the counter (at most one per <see cref="LockingOptions.RedisFenceIdleMs"/>), after each
/// Redis data loss and at each counter roll.
/// </para>
/// <para>
/// Limits: the epoch row is the memory of last resort, so deleting it (or the table) lets tokens start low again; the
/// first grant after an idle expiry or a data loss needs Table storage and costs a round trip to it; when the epochs of
/// a lock run out, acquiring it fails instead of wrapping; tokens compare only within one lock name and key prefix.
/// Not covered: a counter that comes back present but behind — a failover to a replica that missed the last INCRs, or
/// an AOF restart that lost its last second — is not seen as missing, so the tokens granted just before the loss can be
/// granted again. Detecting it would need the counter's high-water mark outside Redis on every grant (a Table write
/// per acquire), which this design avoids on purpose.
/// </para>
/// </summary>
internal static class FencingToken
{
    public const int CounterBits = 24;

    /// <summary>Tokens per epoch; the counter part runs from 1 to <c>CounterSpan - 1</c>.</summary>
    public const long CounterSpan = 1L << CounterBits;

    /// <summary>The last epoch whose tokens stay at or below 2^53 - 1.</summary>
    public const long MaxEpoch = (1L << (53 - CounterBits)) - 1;

    /// <summary>The value the counter is set to when an epoch begins: the next grant gets <c>Floor + 1</c>.</summary>
    public static long Floor(long epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epoch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(epoch, MaxEpoch);
        return epoch << CounterBits;
    }

    public static long EpochOf(long token) => token >> CounterBits;
}
