using System.Collections.Concurrent;
using Serverless.Core.Redis;
using StackExchange.Redis;

namespace Serverless.Core.Dispatch;

/// <summary>
/// The keys of one pool (one aggregate, tagged by the pool name) for the target list this instance believes the pool
/// has: the scripts need every lease set in KEYS, and the list is only known for sure inside the script, which
/// answers 'stale' with the real list when it differs.
/// </summary>
internal sealed record PoolKeys(RedisKey Pool, RedisKey Seq, string Targets, string[] Ids, RedisKey[] Leases);

/// <summary>
/// Builds pool keys and remembers each pool's last seen target list, so a pick sends the right lease keys in one
/// round trip. Only lists a script confirmed are kept, so unknown pool names never grow the cache.
/// </summary>
internal sealed class PoolKeyCache(RedisKeys keys)
{
    private const string Feature = "dispatch";
    private readonly ConcurrentDictionary<string, PoolKeys> _known = new(StringComparer.Ordinal);

    /// <summary>The keys for the last list seen, or for no targets when the pool was never seen.</summary>
    public PoolKeys For(string pool) => _known.TryGetValue(pool, out var known) ? known : Build(pool, "");

    /// <summary>Remembers the list a script reported (or a save wrote) and returns its keys.</summary>
    public PoolKeys Learn(string pool, string targets) => _known[pool] = Build(pool, targets);

    public void Forget(string pool) => _known.TryRemove(pool, out _);

    public RedisKey Lease(string pool, string targetId) => keys.Tagged(Feature, pool, "l", targetId);

    /// <summary>The pool index: its own aggregate, a hash of pool name to the generation of its last save.</summary>
    public RedisKey Index => keys.For(Feature, "pools");

    private PoolKeys Build(string pool, string targets)
    {
        var ids = targets.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new PoolKeys(keys.Tagged(Feature, pool, "pool"), keys.Tagged(Feature, pool, "seq"), targets, ids, [.. ids.Select(id => Lease(pool, id))]);
    }
}
