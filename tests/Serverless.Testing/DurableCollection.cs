using Xunit;

namespace Serverless.Testing;

/// <summary>
/// Test classes that run a durable backend take turns. Each backend polls its queues and renews partition leases on
/// Azurite; several at once on a 2-core machine starve each other's lease renewals and stall orchestrations, which
/// would test the machine, not the code. Redis-only tests still run beside them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DurableCollection
{
    public const string Name = "Durable backend";
}
