namespace Serverless.Core.Dispatch;

/// <summary>How a pool chooses a target. Every policy decides inside one Redis script, so all instances share one sequence.</summary>
public enum DispatchPolicy
{
    /// <summary>Each available target in turn, weights ignored (a zero weight still drains the target).</summary>
    RoundRobin,

    /// <summary>nginx smooth weighted round robin: weights {5,1,1} give a a b a c a a.</summary>
    WeightedRoundRobin,

    /// <summary>Fewest in-flight leases per unit of effective weight.</summary>
    LeastConnections,

    /// <summary>Lowest peak-EWMA latency × (in flight + 1) per unit of effective weight.</summary>
    LeastResponseTime,

    /// <summary>Two distinct targets sampled by effective weight; the one with the lower least-response-time cost wins.</summary>
    PowerOfTwoChoices,

    /// <summary>Sticky by a request key: weighted virtual nodes on a ring, with bounded loads (see <c>Hashing/</c>).</summary>
    RingHash,

    /// <summary>Sticky by a request key: Maglev lookup table, with bounded loads (see <c>Hashing/</c>).</summary>
    Maglev,
}

/// <summary>The wire names of <see cref="DispatchPolicy"/> (what pool JSON and Redis hold).</summary>
public static class DispatchPolicyNames
{
    private static readonly Dictionary<string, DispatchPolicy> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["round-robin"] = DispatchPolicy.RoundRobin,
        ["weighted-round-robin"] = DispatchPolicy.WeightedRoundRobin,
        ["least-connections"] = DispatchPolicy.LeastConnections,
        ["least-response-time"] = DispatchPolicy.LeastResponseTime,
        ["power-of-two-choices"] = DispatchPolicy.PowerOfTwoChoices,
        ["ring-hash"] = DispatchPolicy.RingHash,
        ["maglev"] = DispatchPolicy.Maglev,
    };

    /// <summary>Every accepted name.</summary>
    public static IEnumerable<string> All => ByName.Keys;

    /// <summary>The policy for a wire name (case-insensitive).</summary>
    public static bool TryParse(string? name, out DispatchPolicy policy) => ByName.TryGetValue(name ?? "", out policy);

    /// <summary>The wire name of a policy.</summary>
    public static string Name(this DispatchPolicy policy) => ByName.First(p => p.Value == policy).Key;

    /// <summary>True for the policies that choose by a request key.</summary>
    public static bool IsHashed(this DispatchPolicy policy) => policy is DispatchPolicy.RingHash or DispatchPolicy.Maglev;
}
