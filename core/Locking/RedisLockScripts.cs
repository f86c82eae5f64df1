using Serverless.Core.Redis;
using StackExchange.Redis;

namespace Serverless.Core.Locking;

/// <summary>
/// The Redis lock as Lua scripts, so every check-and-change is one atomic step.
/// KEYS, both tagged with the lock name so a cluster keeps them in one hash slot: 1 lock, 2 fence.
/// The lock key holds <c>{fencing token}:{owner token}</c> with the lease as its TTL. The fence holds the last token
/// minted (see <see cref="FencingToken"/>) and expires an idle time after the last lease could end, so an idle lock
/// leaves nothing behind; while a client fetches a new epoch it holds <c>seeding:{owner token}</c> instead.
/// Release and extend compare the whole lock value, so a holder whose lease expired and was re-granted (even to an
/// equal owner string) can never touch the new grant — unlike GET-then-DEL.
/// Each script's arguments are built by its own method below, so their order is written down once, here.
/// </summary>
internal static class RedisLockScripts
{
    /// <summary>Acquire's first result: the lock is held by someone else, or another client is starting an epoch.</summary>
    public const long Busy = 0;

    /// <summary>Acquire's first result: granted; the second is the token.</summary>
    public const long Granted = 1;

    /// <summary>Acquire's first result: the fence is missing or used up; call again with a new epoch's floor.</summary>
    public const long NeedsEpoch = 2;

    private const string Seeding = "seeding:";

    /// <summary>
    /// Mints a token only when the lock is free, in the same step as the SET. A floor is used only while this caller's
    /// own seeding marker is still on the fence: if Redis lost data after the marker was set (or another client took
    /// over after it expired), the marker is gone and the floor — fetched before that loss — is not trusted, so a
    /// token minted after a loss always comes from an epoch bumped after it.
    /// Three commands on the granting path: one MGET reads the lock and the fence together (same slot), and the next
    /// token is written with its TTL in one SET instead of INCR then PEXPIRE (each command inside a script is server
    /// CPU the caller waits for).
    /// </summary>
    public static readonly RedisScript Acquire = new($$"""
        local held = redis.call('MGET', KEYS[1], KEYS[2])
        if held[1] then return {{{Busy}}} end
        local last = held[2]
        if ARGV[5] ~= '0' and last == '{{Seeding}}' .. ARGV[1] then last = ARGV[5] end
        local n = tonumber(last)
        if last and not n then return {{{Busy}}} end
        if not n or n % {{FencingToken.CounterSpan}} == {{FencingToken.CounterSpan - 1}} then
          redis.call('SET', KEYS[2], '{{Seeding}}' .. ARGV[1], 'PX', ARGV[4])
          return {{{NeedsEpoch}}}
        end
        -- '%d', not '..': Lua prints numbers with 14 significant digits, and tokens have up to 16.
        local token = string.format('%d', n + 1)
        redis.call('SET', KEYS[2], token, 'PX', ARGV[3])
        redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ARGV[2])
        return {{{Granted}}, n + 1}
        """);

    public static readonly RedisScript Release = new("""
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[1])
        redis.call('PEXPIRE', KEYS[2], ARGV[2])
        return 1
        """);

    public static readonly RedisScript Extend = new("""
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('PEXPIRE', KEYS[2], ARGV[3])
        return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        """);

    // Returns {value or false, pttl, fence value or false}.
    public static readonly RedisScript Get = new("""
        return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[2])}
        """);

    /// <param name="owner">The grant's random owner token (also names this caller's seeding marker).</param>
    /// <param name="lease">The lease, the lock key's TTL.</param>
    /// <param name="fenceTtl">The fence's TTL from now: the lease plus the idle time.</param>
    /// <param name="seedingTimeout">How long a seeding marker keeps others away if its client never comes back.</param>
    /// <param name="floor">A new epoch's floor from <see cref="FencingToken.Floor"/>, or 0.</param>
    public static RedisValue[] AcquireArgs(string owner, TimeSpan lease, TimeSpan fenceTtl, TimeSpan seedingTimeout, long floor) =>
        [owner, Ms(lease), Ms(fenceTtl), Ms(seedingTimeout), floor];

    /// <param name="value">The lock value <c>{token}:{owner}</c> the holder was granted.</param>
    /// <param name="idle">The fence's TTL after the release.</param>
    public static RedisValue[] ReleaseArgs(string value, TimeSpan idle) => [value, Ms(idle)];

    /// <param name="value">The lock value <c>{token}:{owner}</c> the holder was granted.</param>
    /// <param name="lease">The new lease from now.</param>
    /// <param name="fenceTtl">The fence's TTL from now: the lease plus the idle time.</param>
    public static RedisValue[] ExtendArgs(string value, TimeSpan lease, TimeSpan fenceTtl) => [value, Ms(lease), Ms(fenceTtl)];

    private static long Ms(TimeSpan span) => (long)span.TotalMilliseconds;
}
