using Serverless.Core.Redis;

namespace Serverless.Core.Sessions;

/// <summary>
/// A principal's index: <c>live</c>, its session handles scored by creation time, and <c>revoking</c>, handles taken
/// out of <c>live</c> whose sessions are still to be deleted. Both share the principal's hash tag; the sessions
/// themselves live in other slots, so these scripts never touch them and the caller does the session side in steps
/// (see <see cref="PrincipalIndex"/>).
/// </summary>
internal static class PrincipalIndexScripts
{
    // A new session (already written) joins `live`. With `live` at `max` the caller first learns the members
    // ('check'), then calls again with `checked` = '1' and the handles whose sessions are gone as `dead`. At the limit
    // it is refused ('limit') or the oldest move to `revoking`. Reply {'ok', handles in `revoking`}: victims and
    // leftovers of an interrupted revocation, for the caller to delete.
    public static readonly RedisScript Admit = RedisScript.Named(
        "sessions.principal.admit", ["live", "revoking"], ["handle", "now", "lifetime", "max", "policy", "checked"], """
        now = tonumber(now)
        max = tonumber(max)
        lifetime = tonumber(lifetime)
        if #dead > 0 then redis.call('ZREM', live, unpack(dead)) end
        local count = redis.call('ZCARD', live)
        if count >= max then
          if checked ~= '1' then return {'check', redis.call('ZRANGE', live, 0, -1)} end
          if policy == 'reject' then return {'limit'} end
          local victims = redis.call('ZRANGE', live, 0, count - max, 'WITHSCORES')
          for i = 1, #victims, 2 do redis.call('ZADD', revoking, victims[i + 1], victims[i]) end
          redis.call('ZREMRANGEBYRANK', live, 0, count - max)
        end
        -- Scores order sessions by creation; two logins in one millisecond still get distinct, ordered scores.
        local newest = redis.call('ZRANGE', live, -1, -1, 'WITHSCORES')
        local score = now
        if newest[2] and tonumber(newest[2]) >= now then score = tonumber(newest[2]) + 1 end
        redis.call('ZADD', live, score, handle)
        if redis.call('PTTL', live) < lifetime then redis.call('PEXPIRE', live, lifetime) end
        local ending = redis.call('ZRANGE', revoking, 0, -1)
        if #ending > 0 and redis.call('PTTL', revoking) < lifetime then redis.call('PEXPIRE', revoking, lifetime) end
        return {'ok', ending}
        """, restArgs: "dead");

    // Revocation, first step: every live handle moves to `revoking` (which keeps the longer of the two lifetimes), so
    // a rotation that has not moved its handle yet finds it gone and fails. Reply: every handle in `revoking`.
    public static readonly RedisScript Claim = RedisScript.Named("sessions.principal.claim", ["live", "revoking"], [], """
        local keep = math.max(redis.call('PTTL', live), redis.call('PTTL', revoking))
        redis.call('ZUNIONSTORE', revoking, 2, revoking, live, 'AGGREGATE', 'MIN')
        redis.call('DEL', live)
        if keep > 0 then redis.call('PEXPIRE', revoking, keep) end
        return redis.call('ZRANGE', revoking, 0, -1)
        """);

    // Rotation: the new handle takes the old one's place (and creation score) only while the old one is still live.
    // Reply 1 moved, 0 the old handle was revoked, evicted or is unknown.
    public static readonly RedisScript Move = RedisScript.Named("sessions.principal.move", ["live"], ["old", "new"], """
        local score = redis.call('ZSCORE', live, old)
        if not score then return 0 end
        redis.call('ZREM', live, old)
        redis.call('ZADD', live, score, new)
        return 1
        """);
}
