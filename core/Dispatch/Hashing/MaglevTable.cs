namespace Serverless.Core.Dispatch.Hashing;

/// <summary>
/// Google's Maglev lookup table (Eisenbud et al., NSDI 2016) with Envoy's weighting: every target walks its own
/// permutation of a prime-sized table and claims the next free slot in turn, a target of weight w taking a turn
/// w / max-weight as often as the heaviest. A lookup is one array read at <c>hash mod size</c>.
/// </summary>
/// <remarks>
/// Written here because no maintained .NET package provides a Maglev table; the algorithm is the paper's
/// "populate" with Envoy's <c>MaglevTable</c> weighting. Permutations come from XxHash64 of the target id (seeds 0 and
/// 1), so every instance builds the identical table from the same pool definition.
/// </remarks>
public sealed class MaglevTable : IConsistentHashTable
{
    /// <summary>Envoy's default table size: prime, and at least 100 × targets for pools of up to 655 targets.</summary>
    public const int DefaultSize = 65_537;

    private readonly int[] _table;
    private readonly int _weighted;

    /// <summary>Builds the table for targets in definition order; <paramref name="size"/> must be prime.</summary>
    public MaglevTable(IReadOnlyList<(string Id, int Weight)> targets, int size = DefaultSize)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (!Primes.IsPrime(size))
        {
            throw new ArgumentException("The Maglev table size must be prime.", nameof(size));
        }

        TargetCount = targets.Count;
        var weighted = Enumerable.Range(0, targets.Count).Where(i => targets[i].Weight > 0).ToArray();
        if (weighted.Length == 0)
        {
            throw new ArgumentException("The weights must add up to more than zero.", nameof(targets));
        }

        _weighted = weighted.Length;
        var offset = new long[weighted.Length];
        var skip = new long[weighted.Length];
        var next = new long[weighted.Length];
        var turn = new long[weighted.Length];
        for (var e = 0; e < weighted.Length; e++)
        {
            var id = targets[weighted[e]].Id;
            offset[e] = (long)(KeyHash.Of(id, 0) % (ulong)size);
            skip[e] = (long)(KeyHash.Of(id, 1) % (ulong)(size - 1)) + 1;
        }

        var heaviest = weighted.Max(i => (long)targets[i].Weight);
        _table = new int[size];
        Array.Fill(_table, -1);
        var filled = 0;
        for (long iteration = 1; filled < size; iteration++)
        {
            for (var e = 0; e < weighted.Length && filled < size; e++)
            {
                // A target of weight w claims a slot once every heaviest / w iterations.
                if (iteration * targets[weighted[e]].Weight < turn[e])
                {
                    continue;
                }

                turn[e] += heaviest;
                var slot = (offset[e] + (skip[e] * next[e])) % size;
                while (_table[slot] >= 0)
                {
                    next[e]++;
                    slot = (offset[e] + (skip[e] * next[e])) % size;
                }

                _table[slot] = weighted[e];
                next[e]++;
                filled++;
            }
        }
    }

    /// <inheritdoc />
    public int TargetCount { get; }

    /// <summary>Slots in the table.</summary>
    public int Size => _table.Length;

    /// <inheritdoc />
    public int Lookup(ulong keyHash) => _table[(int)(keyHash % (ulong)_table.Length)];

    /// <inheritdoc />
    public int[] Preferences(ulong keyHash)
    {
        // Slots are claimed in permutation order, so the owners of the slots after a key's slot are close to a random
        // order of the other targets: a full or ejected target's keys spread over the rest.
        var seen = new bool[TargetCount];
        var order = new List<int>();
        var start = (int)(keyHash % (ulong)_table.Length);
        for (var step = 0; step < _table.Length; step++)
        {
            var owner = _table[(start + step) % _table.Length];
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
}

/// <summary>Trial division, enough for table sizes up to a few million.</summary>
internal static class Primes
{
    public static bool IsPrime(long n)
    {
        if (n < 2)
        {
            return false;
        }

        for (long d = 2; d * d <= n; d++)
        {
            if (n % d == 0)
            {
                return false;
            }
        }

        return true;
    }
}
