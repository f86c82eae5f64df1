using BitFaster.Caching;
using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;
using BitFaster.Caching.Scheduler;

namespace Serverless.Bench.Eviction;

/// <summary>A cache seen by the simulator: one access, a hit or a miss (a miss inserts the key).</summary>
public interface ISimCache
{
    string Name { get; }

    bool Access(int key);
}

// The four textbook policies, written by hand as exact references: they are the baselines the literature compares
// against, and BitFaster has no FIFO or MRU (and its LRU and LFU are approximations built for concurrency). Single
// threaded: the throughput run shares each behind one lock, as a plain implementation would have to be shared.

/// <summary>
/// Exact recency order: evicts the least recently used key (LRU) or, with <paramref name="evictNewest"/>, the most
/// recently used one (MRU, what wins on a loop larger than the cache). One class: the two differ only in which end goes.
/// </summary>
public sealed class ExactRecency(int capacity, bool evictNewest) : ISimCache
{
    private readonly Dictionary<int, LinkedListNode<int>> _nodes = new(capacity);
    private readonly LinkedList<int> _order = new();

    public static ExactRecency Lru(int capacity) => new(capacity, evictNewest: false);

    public static ExactRecency Mru(int capacity) => new(capacity, evictNewest: true);

    public string Name => evictNewest ? "MRU (exact)" : "LRU (exact)";

    public bool Access(int key)
    {
        if (_nodes.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            return true;
        }

        if (_nodes.Count >= capacity)
        {
            var victim = evictNewest ? _order.First! : _order.Last!;
            _nodes.Remove(victim.Value);
            _order.Remove(victim);
        }

        _nodes[key] = _order.AddFirst(key);
        return false;
    }
}

/// <summary>FIFO: evicts the key inserted first, whatever its use since.</summary>
public sealed class Fifo(int capacity) : ISimCache
{
    private readonly HashSet<int> _held = new(capacity);
    private readonly Queue<int> _order = new(capacity);

    public string Name => "FIFO";

    public bool Access(int key)
    {
        if (_held.Contains(key))
        {
            return true;
        }

        if (_held.Count >= capacity)
        {
            _held.Remove(_order.Dequeue());
        }

        _held.Add(key);
        _order.Enqueue(key);
        return false;
    }
}

/// <summary>Exact LFU (in-cache counts, least recently used among the least frequent goes first), O(1) with frequency buckets.</summary>
public sealed class ExactLfu(int capacity) : ISimCache
{
    private readonly Dictionary<int, (int Count, LinkedListNode<int> Node)> _entries = new(capacity);
    private readonly Dictionary<int, LinkedList<int>> _buckets = [];
    private int _min;

    public string Name => "LFU (exact)";

    public bool Access(int key)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            Move(key, entry);
            return true;
        }

        if (_entries.Count >= capacity)
        {
            var bucket = _buckets[_min];
            var victim = bucket.Last!.Value;
            bucket.RemoveLast();
            if (bucket.Count == 0)
            {
                _buckets.Remove(_min);
            }

            _entries.Remove(victim);
        }

        _entries[key] = (1, Bucket(1).AddFirst(key));
        _min = 1;
        return false;
    }

    private void Move(int key, (int Count, LinkedListNode<int> Node) entry)
    {
        var bucket = _buckets[entry.Count];
        bucket.Remove(entry.Node);
        if (bucket.Count == 0)
        {
            _buckets.Remove(entry.Count);
            if (_min == entry.Count)
            {
                _min = entry.Count + 1;
            }
        }

        _entries[key] = (entry.Count + 1, Bucket(entry.Count + 1).AddFirst(key));
    }

    private LinkedList<int> Bucket(int count)
    {
        if (!_buckets.TryGetValue(count, out var bucket))
        {
            _buckets[count] = bucket = new LinkedList<int>();
        }

        return bucket;
    }
}

/// <summary>A BitFaster cache as the records L1 builds it.</summary>
public sealed class BitFasterCache(string name, ICache<int, int> cache) : ISimCache
{
    public string Name => name;

    public bool Access(int key)
    {
        if (cache.TryGet(key, out _))
        {
            return true;
        }

        cache.AddOrUpdate(key, key);
        return false;
    }

    /// <summary>ConcurrentLru (pseudo-LRU with hot/warm/cold queues).</summary>
    public static BitFasterCache Lru(int capacity) => new("BitFaster ConcurrentLru", new ConcurrentLruBuilder<int, int>().WithCapacity(Math.Max(3, capacity)).Build());

    /// <summary>
    /// ConcurrentLfu (W-TinyLFU). <paramref name="deterministic"/> runs its maintenance on the calling thread, so a
    /// replay's hit ratio does not depend on when the thread pool got to the buffered work.
    /// </summary>
    public static BitFasterCache Lfu(int capacity, bool deterministic) => new("BitFaster ConcurrentLfu (W-TinyLFU)",
        deterministic
            ? new ConcurrentLfuBuilder<int, int>().WithCapacity(Math.Max(3, capacity)).WithScheduler(new ForegroundScheduler()).Build()
            : new ConcurrentLfuBuilder<int, int>().WithCapacity(Math.Max(3, capacity)).Build());
}

/// <summary>A single-threaded reference shared behind one lock.</summary>
public sealed class Locked(ISimCache inner) : ISimCache
{
    private readonly Lock _gate = new();

    public string Name => inner.Name;

    public bool Access(int key)
    {
        lock (_gate)
        {
            return inner.Access(key);
        }
    }
}
