using Xunit.v3;

namespace Serverless.Testing;

/// <summary>
/// Marks a test class or method that exercises Redis, with the trait <c>Redis=true</c>. <c>./dev.sh test</c> runs
/// these a second time against a local 3-master Redis Cluster (<c>--filter Redis=true</c> with
/// <c>REDIS_TOPOLOGY=cluster</c>), because the Redis Azure deploys is clustered and a multi-key command or script
/// whose keys span hash slots fails there with CROSSSLOT while it works on one node.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class RedisBackedAttribute : Attribute, ITraitAttribute
{
    public const string TraitName = "Redis";

    public const string TraitValue = "true";

    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() => [new(TraitName, TraitValue)];
}
