namespace Serverless.Core.Dispatch.Hashing;

/// <summary>
/// Weighted ring hash (Karger et al.; Envoy's <c>RING_HASH</c>): each target owns virtual nodes in proportion to its
/// weight, and a key belongs to the first node at or after its hash, found through an index of the sorted ring by the hash's top 16 bits.
/// </summary>
/// <remarks>
/// Nodes per unit of weight are a power of two chosen so the ring holds <see cref="TargetPoints"/>/2 to
/// <see cref="TargetPoints"/> nodes. Because that scale only changes when the total weight crosses a power of two,
/// adding or removing one target usually leaves every other target's nodes exactly where they were, so only the
/// changed target's keys move (a scale taken straight from the total weight would shift every target's node count
/// and move keys between untouched targets). Node k of a target is XxHash64(id, seed k): a larger scale adds nodes
/// and never moves existing ones. 65,536 nodes put every share of a 10-target pool within ~1.5% of its weight
/// (one standard deviation), which the movement and weight tests need.
/// </remarks>
public sealed class RingHashTable : IConsistentHashTable
{
    /// <summary>Upper bound of nodes on the ring (except that every weighted target has at least one).</summary>
    public const int TargetPoints = 65_536;

    private readonly ulong[] _points;
    private readonly int[] _owners;
    private readonly int _weighted;

    // Where each range of the top 16 hash bits starts on the ring (one past the end at [65536]). A plain binary
    // search over 65,536 points measured ~800 ns per lookup on the busy bench machine (16 dependent cache misses);
    // the index narrows it to the one or two points of the key's range.
    private readonly int[] _rangeStart = new int[(1 << 16) + 1];

    /// <summary>Builds the ring for targets in definition order.</summary>
    public RingHashTable(IReadOnlyList<(string Id, int Weight)> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        TargetCount = targets.Count;
        var total = targets.Sum(t => (long)Math.Max(0, t.Weight));
        if (total <= 0)
        {
            throw new ArgumentException("The weights must add up to more than zero.", nameof(targets));
        }

        _weighted = targets.Count(t => t.Weight > 0);
        var perWeight = Math.Pow(2, Math.Floor(Math.Log2((double)TargetPoints / total)));
        var points = new List<ulong>(TargetPoints);
        var owners = new List<int>(TargetPoints);
        for (var i = 0; i < targets.Count; i++)
        {
            if (targets[i].Weight <= 0)
            {
                continue;
            }

            var nodes = Math.Max(1, (int)Math.Round(targets[i].Weight * perWeight));
            for (var k = 0; k < nodes; k++)
            {
                points.Add(KeyHash.Of(targets[i].Id, k));
                owners.Add(i);
            }
        }

        _points = [.. points];
        _owners = [.. owners];
        Array.Sort(_points, _owners);
        var slot = 0;
        for (var range = 0; range <= 1 << 16; range++)
        {
            while (slot < _points.Length && (int)(_points[slot] >> 48) < range)
            {
                slot++;
            }

            _rangeStart[range] = slot;
        }
    }

    /// <inheritdoc />
    public int TargetCount { get; }

    /// <summary>Nodes on the ring.</summary>
    public int Size => _points.Length;

    /// <inheritdoc />
    public int Lookup(ulong keyHash) => _owners[Slot(keyHash)];

    /// <inheritdoc />
    public int[] Preferences(ulong keyHash)
    {
        var seen = new bool[TargetCount];
        var order = new List<int>();
        var start = Slot(keyHash);
        for (var step = 0; step < _points.Length; step++)
        {
            var owner = _owners[(start + step) % _points.Length];
            if (!seen[owner])
            {
                seen[owner] = true;
                order.Add(owner);
                if (order.Count == _weighted)
                {
                    break;
                }
            }
        }

        return [.. order];
    }

    private int Slot(ulong keyHash)
    {
        var range = (int)(keyHash >> 48);
        var slot = _rangeStart[range];
        var end = _rangeStart[range + 1];
        while (slot < end && _points[slot] < keyHash)
        {
            slot++;
        }

        return slot == _points.Length ? 0 : slot;
    }
}
