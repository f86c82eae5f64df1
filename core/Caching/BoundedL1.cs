using BitFaster.Caching;
using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;

namespace Serverless.Core.Caching;

/// <summary>
/// The in-process (L1) layer of one collection: a size-bounded BitFaster cache of versioned entries, dropped by
/// <see cref="InvalidationBackplane"/> when another instance writes.
/// </summary>
/// <remarks>
/// BitFaster has no compare-and-set, and a plain "get, compare, put" lets a reader that fetched version 5 from Redis
/// put it over the 6 that a writer just put (or after the backplane dropped 5 for 6). So every change goes through a
/// striped lock, and every stripe counts the drops it has seen: a filler reads <see cref="Epoch"/> before it asks
/// Redis and sets only if no drop touched the stripe since. A drop is published after Redis holds the new version, so
/// a fill that read Redis after the drop sees that version, and one that read before it is refused.
/// </remarks>
public sealed class BoundedL1
{
    private const int Stripes = 1024;

    private readonly ICache<string, CacheEntry>? _cache;
    private readonly Lock[] _locks = [.. Enumerable.Range(0, Stripes).Select(_ => new Lock())];
    private readonly long[] _epochs = new long[Stripes];

    /// <summary>An L1 of at most <paramref name="capacity"/> entries (0 turns it off), each kept at most <paramref name="ttl"/>.</summary>
    public BoundedL1(int capacity, EvictionPolicy policy, TimeSpan ttl)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        if (capacity == 0)
        {
            return;
        }

        // ConcurrentLfu/ConcurrentLru need room for their internal queues: at least 3 entries.
        var size = Math.Max(3, capacity);
        _cache = policy == EvictionPolicy.Lru
            ? new ConcurrentLruBuilder<string, CacheEntry>().WithCapacity(size).WithExpireAfterWrite(ttl).Build()
            : new ConcurrentLfuBuilder<string, CacheEntry>().WithCapacity(size).WithExpireAfterWrite(ttl).Build();
    }

    /// <summary>Most entries held.</summary>
    public int Capacity { get; }

    /// <summary>Entries held now.</summary>
    public int Count => _cache?.Count ?? 0;

    /// <summary>The entry for <paramref name="key"/>, if held.</summary>
    public bool TryGet(string key, out CacheEntry entry)
    {
        if (_cache is not null && _cache.TryGet(key, out var found))
        {
            entry = found;
            return true;
        }

        entry = null!;
        return false;
    }

    /// <summary>The drop count of <paramref name="key"/>'s stripe, read before fetching what will be passed to <see cref="TrySet"/>.</summary>
    public long Epoch(string key) => Volatile.Read(ref _epochs[Stripe(key)]);

    /// <summary>
    /// Holds <paramref name="entry"/> unless a drop touched the key's stripe since <paramref name="epoch"/> or a newer
    /// version is held (an older one is dropped either way); markers are never held (they only send readers to the source).
    /// </summary>
    public bool TrySet(string key, CacheEntry entry, long epoch)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_cache is null || !entry.Answers)
        {
            return false;
        }

        var stripe = Stripe(key);
        lock (_locks[stripe])
        {
            var holds = _cache.TryGet(key, out var held);
            if (holds && held!.Version >= entry.Version)
            {
                return false;
            }

            if (_epochs[stripe] != epoch)
            {
                // Refused, but the caller has seen this version, so nothing older may be answered here from now on: drop
                // the older entry and count a drop, which also refuses every fill that began before (one of those may
                // carry an older version whose own drop has not arrived yet). Reads on one instance never go backwards.
                _epochs[stripe]++;
                if (holds)
                {
                    _cache.TryRemove(key);
                }

                return false;
            }

            _cache.AddOrUpdate(key, entry);
            return true;
        }
    }

    /// <summary>Drops the entry of <paramref name="key"/> if it is older than <paramref name="version"/>, and refuses fills begun before.</summary>
    public void Drop(string key, long version)
    {
        var stripe = Stripe(key);
        lock (_locks[stripe])
        {
            _epochs[stripe]++;
            if (_cache is not null && _cache.TryGet(key, out var held) && held.Version < version)
            {
                _cache.TryRemove(key);
            }
        }
    }

    /// <summary>Drops everything and refuses every fill begun before: invalidations may have been missed.</summary>
    public void Clear()
    {
        for (var stripe = 0; stripe < Stripes; stripe++)
        {
            lock (_locks[stripe])
            {
                _epochs[stripe]++;
            }
        }

        _cache?.Clear();
    }

    private static int Stripe(string key) => (int)((uint)StringComparer.Ordinal.GetHashCode(key) % Stripes);
}
