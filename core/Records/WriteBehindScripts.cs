using Serverless.Core.Redis;

namespace Serverless.Core.Records;

/// <summary>
/// The write-behind scripts: a write sets the cache entry and appends to the collection's dirty log (a stream read by
/// a consumer group) atomically, so an acknowledged write is in the log; a flush acknowledges and deletes the log
/// entries it wrote to the table and lets entries that are now clean expire.
/// </summary>
internal static class WriteBehindScripts
{
    /// <summary>Outcome codes of <see cref="Write"/>.</summary>
    public const long Written = 0, NeedsBase = 1, Mismatch = 2, Missing = 3;

    // The entry is the newest version while it exists (dirty entries never expire). Without one, the caller reads the
    // table and passes its version as the base (a marker 'i' is not a version this policy writes, so it is ignored).
    public static readonly RedisScript Write = RedisScript.Named(
        "records.wb_write",
        keys: ["entry", "log"],
        args: ["expected", "baseVersion", "baseExists", "state", "data", "key"],
        body: """
            local cur = redis.call('HMGET', entry, 'v', 's')
            local cv = tonumber(cur[1])
            local exists
            if cv and cur[2] ~= 'i' then
              exists = cur[2] == 'p'
            elseif baseVersion == '' then
              return {1, 0, 0}
            else
              cv = tonumber(baseVersion)
              exists = baseExists == '1'
            end
            if expected == '*' then
              if not exists then return {2, cv, 0} end
            elseif expected ~= '' then
              if (not exists) or tonumber(expected) ~= cv then return {2, cv, 0} end
            end
            if state == 'x' and not exists then return {3, cv, 0} end
            local nv = cv + 1
            redis.call('HSET', entry, 'v', nv, 's', state, 'd', data)
            redis.call('PERSIST', entry)
            redis.call('XADD', log, '*', 'k', key, 'v', nv, 's', state, 'd', data)
            return {0, nv, exists and 1 or 0}
            """);

    // versionsThenIds: one flushed version per entry key, then every log id of the batch (coalesced ones too).
    public static readonly RedisScript Flushed = RedisScript.Named(
        "records.wb_flushed",
        keys: ["log"],
        args: ["group", "ttlMs"],
        restKeys: "entries",
        restArgs: "versionsThenIds",
        body: """
            local ttl = tonumber(ttlMs)
            for i, e in ipairs(entries) do
              if tonumber(redis.call('HGET', e, 'v')) == tonumber(versionsThenIds[i]) then
                redis.call('PEXPIRE', e, ttl)
              end
            end
            local ids = {}
            for i = #entries + 1, #versionsThenIds do ids[#ids + 1] = versionsThenIds[i] end
            if #ids > 0 then
              redis.call('XACK', log, group, unpack(ids))
              redis.call('XDEL', log, unpack(ids))
            end
            return #ids
            """);
}
