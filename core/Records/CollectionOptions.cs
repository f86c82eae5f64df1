using Serverless.Core.Caching;

namespace Serverless.Core.Records;

/// <summary>One record collection (section <c>Records:Collections:&lt;name&gt;</c>).</summary>
public sealed class CollectionOptions
{
    /// <summary><c>cache-aside</c>, <c>write-through</c>, <c>write-behind</c> or <c>write-around</c> (required).</summary>
    public string Policy { get; set; } = "";

    /// <summary>Most entries this instance's L1 keeps for the collection; 0 turns L1 off (default 10 000).</summary>
    public int L1Size { get; set; } = 10_000;

    /// <summary><c>lfu</c> (W-TinyLFU, default) or <c>lru</c>: what L1 drops when full.</summary>
    public string Eviction { get; set; } = "lfu";

    /// <summary>How long a Redis (L2) entry and an invalidation marker live (default 10 minutes); also bounds how slow a fill may be.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long an L1 entry lives at most (default 1 minute): a backstop for an invalidation lost while an instance
    /// stayed connected; a lost connection clears L1 anyway.
    /// </summary>
    public TimeSpan L1Ttl { get; set; } = TimeSpan.FromMinutes(1);

    internal WritePolicy ParsedPolicy => WritePolicies.TryParse(Policy, out var policy) ? policy : throw new InvalidOperationException($"Unknown policy '{Policy}'.");

    internal EvictionPolicy ParsedEviction => string.Equals(Eviction, "lru", StringComparison.OrdinalIgnoreCase) ? EvictionPolicy.Lru : EvictionPolicy.Lfu;
}
