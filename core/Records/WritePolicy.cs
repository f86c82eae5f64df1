namespace Serverless.Core.Records;

/// <summary>How a collection's writes reach the table and the cache (setting <c>Records:Collections:&lt;name&gt;:Policy</c>).</summary>
public enum WritePolicy
{
    /// <summary><c>cache-aside</c>: write the table, invalidate; reads fill.</summary>
    CacheAside,

    /// <summary><c>write-through</c>: write the table, then set the cache with the written version.</summary>
    WriteThrough,

    /// <summary><c>write-behind</c>: write the cache and a durable dirty log in Redis, acknowledge; a flusher writes the table.</summary>
    WriteBehind,

    /// <summary><c>write-around</c>: write the table and invalidate; only reads fill.</summary>
    WriteAround,
}

/// <summary>The setting values of <see cref="WritePolicy"/>.</summary>
public static class WritePolicies
{
    /// <summary>Every accepted setting value, in the order of the enum.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cache-aside", "write-through", "write-behind", "write-around"];

    /// <summary>Parses a setting value such as <c>write-through</c> (case-insensitive).</summary>
    public static bool TryParse(string? text, out WritePolicy policy)
    {
        for (var i = 0; i < Names.Count; i++)
        {
            if (string.Equals(Names[i], text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                policy = (WritePolicy)i;
                return true;
            }
        }

        policy = default;
        return false;
    }

    /// <summary>The setting value of <paramref name="policy"/>.</summary>
    public static string Name(this WritePolicy policy) => Names[(int)policy];
}
