using Serverless.Core.Redis;

namespace Serverless.Core.Caching;

/// <summary>
/// The one Redis script every cache fill, set and invalidation goes through. An entry is a hash
/// <c>{v: version, s: p|x|i, d: bytes}</c> with its key in KEYS.
/// </summary>
/// <remarks>
/// THE RULE (why a slow fill can never land stale — the race memcache leases exist for): a reader of version 5 that
/// stalls between its source read and its cache set must not overwrite what a writer of version 6 did meanwhile. So a
/// write first leaves "invalidated at 6" (state <c>i</c>) — before it writes the source — and every set compares:
/// <list type="bullet">
/// <item>over a value or an absence (<c>p</c>/<c>x</c>) at version c, only a strictly newer version lands;</item>
/// <item>over a marker at version c, a value of version c or newer lands (c is the version the writer was about to
/// write, so reading it from the source is the refill the marker waits for), and a marker only by a newer marker.</item>
/// </list>
/// A set of version 5 therefore loses against the marker at 6 whichever comes first: if the fill lands first, the
/// marker replaces it; if the marker is first, the fill is refused. The marker lives as long as the collection's TTL,
/// which bounds how slow a fill may be (a fill slower than the TTL could land after the marker expired).
/// A <c>ttlMs</c> of 0 makes the entry persistent (write-behind's dirty entries, which must not expire
/// before the flusher wrote them to the table).
/// </remarks>
internal static class VersionedCacheScripts
{
    public static readonly RedisScript SetIfNewer = RedisScript.Named(
        "cache.set_if_newer",
        keys: ["entry"],
        args: ["version", "state", "data", "ttlMs"],
        body: """
            local cur = redis.call('HMGET', entry, 'v', 's')
            local nv = tonumber(version)
            local cv = tonumber(cur[1])
            if cv then
              if cur[2] == 'i' then
                if (state == 'i' and nv <= cv) or nv < cv then return 0 end
              elseif nv <= cv then
                return 0
              end
            end
            redis.call('HSET', entry, 'v', version, 's', state, 'd', data)
            local ttl = tonumber(ttlMs)
            if ttl > 0 then redis.call('PEXPIRE', entry, ttl) else redis.call('PERSIST', entry) end
            return 1
            """);
}
