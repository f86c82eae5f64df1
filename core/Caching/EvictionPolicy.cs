namespace Serverless.Core.Caching;

/// <summary>How a bounded L1 picks what to drop when it is full.</summary>
public enum EvictionPolicy
{
    /// <summary>W-TinyLFU (BitFaster <c>ConcurrentLfu</c>): keeps what is used often, resists scans. The default.</summary>
    Lfu,

    /// <summary>Pseudo-LRU with hot/warm/cold queues (BitFaster <c>ConcurrentLru</c>): keeps what was used recently.</summary>
    Lru,
}
