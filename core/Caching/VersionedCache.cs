using StackExchange.Redis;

namespace Serverless.Core.Caching;

/// <summary>
/// The shared (L2) layer in Redis: reads an entry, and sets one only through the version check of
/// <see cref="VersionedCacheScripts.SetIfNewer"/>, so no caller can replace a newer version with an older one.
/// </summary>
public sealed class VersionedCache(IConnectionMultiplexer redis)
{
    private static readonly RedisValue[] Fields = ["v", "s", "d"];

    private IDatabase Db => redis.GetDatabase();

    /// <summary>The entry at <paramref name="key"/>, or null when Redis holds none.</summary>
    public async Task<CacheEntry?> GetAsync(RedisKey key)
    {
        var values = await Db.HashGetAsync(key, Fields);
        if (values[0].IsNull || !values[0].TryParse(out long version))
        {
            return null;
        }

        var data = values[2].IsNull ? ReadOnlyMemory<byte>.Empty : (ReadOnlyMemory<byte>)(byte[])values[2]!;
        return new CacheEntry(version, CacheEntry.Parse(values[1]), data);
    }

    /// <summary>Sets <paramref name="entry"/> unless Redis holds a newer version (see the rule on the script); true when it landed.</summary>
    /// <param name="key">The entry's key.</param>
    /// <param name="entry">What to set.</param>
    /// <param name="ttl">How long it lives; <see cref="TimeSpan.Zero"/> for no expiry.</param>
    public async Task<bool> SetIfNewerAsync(RedisKey key, CacheEntry entry, TimeSpan ttl)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var result = await VersionedCacheScripts.SetIfNewer.Call()
            .Key("entry", key)
            .Arg("version", entry.Version)
            .Arg("state", entry.StateCode)
            .Arg("data", entry.Data)
            .Arg("ttlMs", (long)ttl.TotalMilliseconds)
            .EvaluateAsync(Db);
        return (long)result == 1;
    }

    /// <summary>Leaves "invalidated at <paramref name="version"/>": readers go to the source, fills older than it are refused.</summary>
    public Task<bool> InvalidateAsync(RedisKey key, long version, TimeSpan ttl) =>
        SetIfNewerAsync(key, new CacheEntry(version, CacheEntryState.Invalidated, ReadOnlyMemory<byte>.Empty), ttl);
}
