using Serverless.Core.Redis;

namespace Serverless.Core.Sessions;

/// <summary>
/// Each session operation is one Lua script, so it is atomic and one round trip, and it slides the expiry in the
/// same step. Layout: one hash per session (<c>m:*</c> metadata, <c>a:*</c> attributes) and one sorted set per
/// principal (session handles scored by creation time).
/// Common ARGV: 1 session key prefix, 2 principal index prefix, 3 now (ms), 4 idle timeout (ms), 5 session handle.
/// </summary>
internal static class SessionScripts
{
    public const int MetadataFields = 5;

    // live(): the absolute deadline of a session that still exists, or nil (a session past its deadline is removed
    // here, so the absolute lifetime holds even if its TTL had just been slid).
    // slide(): records the access and resets the TTL to the idle timeout, never past the deadline.
    private const string Prelude = """
        local now = tonumber(ARGV[3])
        local idle = tonumber(ARGV[4])
        local function live(key)
          local meta = redis.call('HMGET', key, 'm:deadline', 'm:principal')
          local deadline = tonumber(meta[1])
          if not deadline then return nil end
          if now >= deadline then
            redis.call('DEL', key)
            if meta[2] and meta[2] ~= '' then redis.call('ZREM', ARGV[2] .. meta[2], ARGV[5]) end
            return nil
          end
          return deadline
        end
        local function slide(key, deadline)
          redis.call('HSET', key, 'm:last', now)
          redis.call('PEXPIRE', key, math.max(1, math.min(idle, deadline - now)))
        end
        local function meta(key)
          return redis.call('HMGET', key, 'm:created', 'm:last', 'm:principal', 'm:version', 'm:deadline')
        end

        """;

    // KEYS: session, principal index (or session again when unbound).
    // ARGV 6 principal ('' = none), 7 deadline, 8 max sessions per principal, 9 'evict'|'reject', 10.. attribute pairs.
    public static readonly RedisScript Create = new(Prelude + """
        if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
        local principal = ARGV[6]
        local deadline = tonumber(ARGV[7])
        if principal ~= '' then
          local index = KEYS[2]
          for _, handle in ipairs(redis.call('ZRANGE', index, 0, -1)) do
            if redis.call('EXISTS', ARGV[1] .. handle) == 0 then redis.call('ZREM', index, handle) end
          end
          local count = redis.call('ZCARD', index)
          local max = tonumber(ARGV[8])
          if count >= max then
            if ARGV[9] == 'reject' then return {'limit'} end
            for _, handle in ipairs(redis.call('ZRANGE', index, 0, count - max)) do
              redis.call('DEL', ARGV[1] .. handle)
              redis.call('ZREM', index, handle)
            end
          end
          -- Scores order sessions by creation; two logins in one millisecond still get distinct, ordered scores.
          local newest = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
          local score = now
          if newest[2] and tonumber(newest[2]) >= now then score = tonumber(newest[2]) + 1 end
          redis.call('ZADD', index, score, ARGV[5])
          redis.call('PEXPIRE', index, deadline - now)
        end
        redis.call('HSET', KEYS[1], 'm:created', now, 'm:last', now, 'm:principal', principal, 'm:version', 1, 'm:deadline', deadline)
        for i = 10, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
        slide(KEYS[1], deadline)
        return {'ok', meta(KEYS[1])}
        """);

    // One HGETALL answers the read and carries the metadata; the slide is skipped while the last one is fresh
    // (within ARGV 6 ms), which keeps hot reads to a single command without moving the expiry noticeably.
    public static readonly RedisScript GetAll = new(Prelude + """
        local hash = redis.call('HGETALL', KEYS[1])
        local deadline, principal, last
        for i = 1, #hash, 2 do
          local f = hash[i]
          if f == 'm:deadline' then deadline = tonumber(hash[i + 1])
          elseif f == 'm:principal' then principal = hash[i + 1]
          elseif f == 'm:last' then last = tonumber(hash[i + 1]) end
        end
        if not deadline then return {'missing'} end
        if now >= deadline then
          redis.call('DEL', KEYS[1])
          if principal ~= '' then redis.call('ZREM', ARGV[2] .. principal, ARGV[5]) end
          return {'missing'}
        end
        if now - last >= tonumber(ARGV[6]) then slide(KEYS[1], deadline) else now = last end
        return {'ok', hash, now}
        """);

    // ARGV 6: the attribute field.
    public static readonly RedisScript GetOne = new(Prelude + """
        local deadline = live(KEYS[1])
        if not deadline then return {'missing'} end
        slide(KEYS[1], deadline)
        return {'ok', meta(KEYS[1]), redis.call('HGET', KEYS[1], ARGV[6])}
        """);

    // ARGV 6 expected version ('' = any), 7 max attributes, 8 number of pairs n, then n field/value pairs, then fields to delete.
    // The attribute count is only worked out field by field when HLEN says the limit could be crossed.
    public static readonly RedisScript Update = new(Prelude + """
        local m = redis.call('HMGET', KEYS[1], 'm:deadline', 'm:principal', 'm:version', 'm:created')
        local deadline = tonumber(m[1])
        if not deadline then return {'missing'} end
        if now >= deadline then
          redis.call('DEL', KEYS[1])
          if m[2] ~= '' then redis.call('ZREM', ARGV[2] .. m[2], ARGV[5]) end
          return {'missing'}
        end
        local version = tonumber(m[3])
        if ARGV[6] ~= '' and tonumber(ARGV[6]) ~= version then return {'version', version} end
        local n = tonumber(ARGV[8])
        local removals = 9 + 2 * n
        local max = tonumber(ARGV[7])
        local count = redis.call('HLEN', KEYS[1]) - 5
        if count + n > max then
          for i = 9, removals - 1, 2 do
            if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then count = count + 1 end
          end
          for i = removals, #ARGV do
            if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then count = count - 1 end
          end
          if count > max then return {'toomany'} end
        end
        version = version + 1
        local write = {'m:version', version, 'm:last', now}
        for i = 9, removals - 1 do write[#write + 1] = ARGV[i] end
        redis.call('HSET', KEYS[1], unpack(write))
        if removals <= #ARGV then redis.call('HDEL', KEYS[1], unpack(ARGV, removals)) end
        redis.call('PEXPIRE', KEYS[1], math.max(1, math.min(idle, deadline - now)))
        return {'ok', {m[4], now, m[2], version, deadline}}
        """);

    public static readonly RedisScript Touch = new(Prelude + """
        local deadline = live(KEYS[1])
        if not deadline then return {'missing'} end
        slide(KEYS[1], deadline)
        return {'ok', meta(KEYS[1])}
        """);

    // KEYS: old session, new session. ARGV 6: new handle. RENAME keeps data and TTL and ends the old id in the same step.
    public static readonly RedisScript Rotate = new(Prelude + """
        local deadline = live(KEYS[1])
        if not deadline then return {'missing'} end
        if redis.call('EXISTS', KEYS[2]) == 1 then return {'exists'} end
        redis.call('RENAME', KEYS[1], KEYS[2])
        local principal = redis.call('HGET', KEYS[2], 'm:principal')
        if principal ~= '' then
          local index = ARGV[2] .. principal
          local created = redis.call('ZSCORE', index, ARGV[5]) or now
          redis.call('ZREM', index, ARGV[5])
          redis.call('ZADD', index, created, ARGV[6])
        end
        redis.call('HINCRBY', KEYS[2], 'm:version', 1)
        slide(KEYS[2], deadline)
        return {'ok', redis.call('HGETALL', KEYS[2])}
        """);

    public static readonly RedisScript Delete = new(Prelude + """
        local principal = redis.call('HGET', KEYS[1], 'm:principal')
        if not principal then return 0 end
        redis.call('DEL', KEYS[1])
        if principal ~= '' then redis.call('ZREM', ARGV[2] .. principal, ARGV[5]) end
        return 1
        """);

    // KEYS: principal index.
    public static readonly RedisScript RevokeAll = new("""
        local revoked = 0
        for _, handle in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          revoked = revoked + redis.call('DEL', ARGV[1] .. handle)
        end
        redis.call('DEL', KEYS[1])
        return revoked
        """);
}
