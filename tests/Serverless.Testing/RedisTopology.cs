namespace Serverless.Testing;

/// <summary>
/// The shape of the Redis the tests start: one node, or a 3-master cluster like Azure Managed Redis, where a script
/// or command whose keys fall in different hash slots fails with CROSSSLOT. Chosen by <c>REDIS_TOPOLOGY</c>.
/// </summary>
public enum RedisTopology
{
    Single,
    Cluster,
}

/// <summary>Reads <c>REDIS_TOPOLOGY</c> (<c>single</c>, the default, or <c>cluster</c>).</summary>
public static class RedisTopologySetting
{
    public const string Variable = "REDIS_TOPOLOGY";

    public static RedisTopology FromEnvironment() => Parse(Environment.GetEnvironmentVariable(Variable));

    public static RedisTopology Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Trim().Equals("single", StringComparison.OrdinalIgnoreCase))
        {
            return RedisTopology.Single;
        }

        return value.Trim().Equals("cluster", StringComparison.OrdinalIgnoreCase)
            ? RedisTopology.Cluster
            : throw new InvalidOperationException($"{Variable} must be 'single' or 'cluster', not '{value}'.");
    }
}
