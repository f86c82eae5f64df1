namespace Serverless.Core.Dispatch.Hashing;

/// <summary>
/// A key-hash to target lookup built once per pool version. Targets are indices into the list the table was built
/// from; zero-weight targets never appear (they are drained).
/// </summary>
public interface IConsistentHashTable
{
    /// <summary>Targets the table was built over, in definition order.</summary>
    int TargetCount { get; }

    /// <summary>The key's first choice.</summary>
    int Lookup(ulong keyHash);

    /// <summary>
    /// Every weighted target once, in the order this key falls back to them: the first choice, then the next distinct
    /// targets along the ring (or table). An unavailable or full target's keys go to their own next choice, so they
    /// spread instead of piling onto one neighbour, and return once the target is back.
    /// </summary>
    int[] Preferences(ulong keyHash);
}

/// <summary>Hash functions shared by the tables: XxHash64, the same on every instance and platform.</summary>
public static class KeyHash
{
    /// <summary>The 64-bit hash of a request's key.</summary>
    public static ulong Of(string key) => System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(key));

    /// <summary>The hash of a target id under a seed (a virtual node number, or a Maglev permutation part).</summary>
    internal static ulong Of(string targetId, long seed) => System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(targetId), seed);

    /// <summary>The hash as the debug header shows it: 16 lower-case hex digits.</summary>
    public static string Format(ulong hash) => hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
