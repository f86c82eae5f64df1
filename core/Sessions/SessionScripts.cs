using Serverless.Core.Redis;

namespace Serverless.Core.Sessions;

/// <summary>
/// Each session operation on one session is one Lua script over that session's hash alone (<c>m:*</c> metadata,
/// <c>a:*</c> attributes), so it is atomic and one round trip, and it slides the expiry in the same step.
/// A principal's index is its own aggregate (see <see cref="PrincipalIndexScripts"/>): a cluster puts it in another
/// hash slot than the sessions it lists, so no script here touches it.
/// </summary>
internal static class SessionScripts
{
    // live(): the absolute deadline of a session that still exists, or nil. A session past its deadline is removed
    // here, so the absolute lifetime holds even if its TTL had just been slid, and its principal comes back second:
    // the reply {'missing', principal} tells the caller to drop its entry from the principal's index (another slot).
    // slide(): records the access and resets the TTL to the idle timeout, never past the deadline.
    private const string Prelude = """
        now = tonumber(now)
        idle = tonumber(idle)
        local function live()
          local m = redis.call('HMGET', session, 'm:deadline', 'm:principal')
          local deadline = tonumber(m[1])
          if deadline and now >= deadline then
            redis.call('DEL', session)
            return nil, m[2]
          end
          return deadline, nil
        end
        local function slide(deadline)
          redis.call('HSET', session, 'm:last', now)
          redis.call('PEXPIRE', session, math.max(1, math.min(idle, deadline - now)))
        end
        local function meta()
          return redis.call('HMGET', session, 'm:created', 'm:last', 'm:principal', 'm:version', 'm:deadline')
        end

        """;

    public static readonly RedisScript Create = RedisScript.Named("session.create", ["session"], ["now", "idle", "principal", "deadlineAt"], Prelude + """
        if redis.call('EXISTS', session) == 1 then return {'exists'} end
        redis.call('HSET', session, 'm:created', now, 'm:last', now, 'm:principal', principal, 'm:version', 1, 'm:deadline', deadlineAt)
        if #attributes > 0 then redis.call('HSET', session, unpack(attributes)) end
        slide(tonumber(deadlineAt))
        return {'ok', meta()}
        """, restArgs: "attributes");

    // One HGETALL answers the read and carries the metadata; the slide is skipped while the last one is fresh
    // (within `fresh` ms), which keeps hot reads to a single command without moving the expiry noticeably.
    public static readonly RedisScript GetAll = RedisScript.Named("session.get", ["session"], ["now", "idle", "fresh"], Prelude + """
        local hash = redis.call('HGETALL', session)
        local deadline, last, principal
        for i = 1, #hash, 2 do
          local f = hash[i]
          if f == 'm:deadline' then deadline = tonumber(hash[i + 1])
          elseif f == 'm:last' then last = tonumber(hash[i + 1])
          elseif f == 'm:principal' then principal = hash[i + 1] end
        end
        if not deadline then return {'missing'} end
        if now >= deadline then
          redis.call('DEL', session)
          return {'missing', principal}
        end
        if now - last >= tonumber(fresh) then slide(deadline) else now = last end
        return {'ok', hash, now}
        """);

    public static readonly RedisScript GetOne = RedisScript.Named("session.get-one", ["session"], ["now", "idle", "field"], Prelude + """
        local deadline, ended = live()
        if not deadline then return {'missing', ended} end
        slide(deadline)
        return {'ok', meta(), redis.call('HGET', session, field)}
        """);

    // `changes`: `sets` field/value pairs, then the fields to delete. The attribute count is only worked out field by
    // field when HLEN says the limit could be crossed.
    public static readonly RedisScript Update = RedisScript.Named("session.update", ["session"], ["now", "idle", "expected", "max", "sets"], Prelude + """
        local m = redis.call('HMGET', session, 'm:deadline', 'm:principal', 'm:version', 'm:created')
        local deadline = tonumber(m[1])
        if not deadline then return {'missing'} end
        if now >= deadline then
          redis.call('DEL', session)
          return {'missing', m[2]}
        end
        local version = tonumber(m[3])
        if expected ~= '' and tonumber(expected) ~= version then return {'version', version} end
        local n = tonumber(sets)
        local removals = 1 + 2 * n
        max = tonumber(max)
        local count = redis.call('HLEN', session) - 5
        if count + n > max then
          for i = 1, removals - 1, 2 do
            if redis.call('HEXISTS', session, changes[i]) == 0 then count = count + 1 end
          end
          for i = removals, #changes do
            if redis.call('HEXISTS', session, changes[i]) == 1 then count = count - 1 end
          end
          if count > max then return {'toomany'} end
        end
        version = version + 1
        local write = {'m:version', version, 'm:last', now}
        for i = 1, removals - 1 do write[#write + 1] = changes[i] end
        redis.call('HSET', session, unpack(write))
        if removals <= #changes then redis.call('HDEL', session, unpack(changes, removals)) end
        redis.call('PEXPIRE', session, math.max(1, math.min(idle, deadline - now)))
        return {'ok', {m[4], now, m[2], version, deadline}}
        """, restArgs: "changes");

    public static readonly RedisScript Touch = RedisScript.Named("session.touch", ["session"], ["now", "idle"], Prelude + """
        local deadline, ended = live()
        if not deadline then return {'missing', ended} end
        slide(deadline)
        return {'ok', meta()}
        """);

    // Rotation, first step: the old id dies here, at once, and its data goes back to the caller.
    public static readonly RedisScript Retire = RedisScript.Named("session.retire", ["session"], ["now", "idle"], Prelude + """
        local deadline, ended = live()
        if not deadline then return {'missing', ended} end
        local hash = redis.call('HGETALL', session)
        redis.call('DEL', session)
        return {'ok', hash}
        """);

    // Rotation, second step: the old session's fields under the new id, one version on, deadline kept.
    public static readonly RedisScript Adopt = RedisScript.Named("session.adopt", ["session"], ["now", "idle"], Prelude + """
        if redis.call('EXISTS', session) == 1 then return {'exists'} end
        redis.call('HSET', session, unpack(fields))
        redis.call('HINCRBY', session, 'm:version', 1)
        slide(tonumber(redis.call('HGET', session, 'm:deadline')))
        return {'ok', redis.call('HGETALL', session)}
        """, restArgs: "fields");

    // Reply: {1, principal} when a session was ended, {0} when there was none.
    public static readonly RedisScript Delete = RedisScript.Named("session.delete", ["session"], [], """
        local principal = redis.call('HGET', session, 'm:principal')
        if not principal then return {0} end
        redis.call('DEL', session)
        return {1, principal}
        """);
}
