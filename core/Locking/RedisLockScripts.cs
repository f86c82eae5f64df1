using Serverless.Core.Redis;

namespace Serverless.Core.Locking;

/// <summary>
/// The Redis lock as Lua scripts, so every check-and-change is one atomic step. The lock key holds
/// <c>{fencing token}:{owner token}</c> with the lease as its TTL; a second key counts fencing tokens and never
/// expires, so tokens keep growing across expiries and releases.
/// KEYS: 1 lock, 2 fencing counter. Release and extend compare the whole value, so a holder whose lease expired
/// and was re-granted (even to an equal owner string) can never touch the new grant — unlike GET-then-DEL.
/// </summary>
internal static class RedisLockScripts
{
    // ARGV: 1 owner token, 2 lease ms. The token is minted only when the lock is free, in the same step as the SET.
    public static readonly RedisScript Acquire = new("""
        if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
        local token = redis.call('INCR', KEYS[2])
        redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'NX', 'PX', ARGV[2])
        return {1, token}
        """);

    // ARGV: 1 '{token}:{owner}'.
    public static readonly RedisScript Release = new("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """);

    // ARGV: 1 '{token}:{owner}', 2 lease ms (from now).
    public static readonly RedisScript Extend = new("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """);

    // Returns {value or false, pttl, last token or false}.
    public static readonly RedisScript Get = new("""
        return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[2])}
        """);
}
