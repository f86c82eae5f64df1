using Microsoft.DurableTask;
using Serverless.Orchestrations.Counters;
using Serverless.Orchestrations.Locks;
using Serverless.Testing;
using Serverless.Testing.Durable;

namespace Serverless.Tests.Locks;

/// <summary>The lock and counter entities with their orchestrations, on a fresh task hub per test class.</summary>
public class LocksDurableFixture(ServicesFixture services) : DurableFixture(services)
{
    public EntityLockClient Locks => new(Client, TimeProvider.System);

    protected override void Register(DurableTaskRegistry registry) => registry.AddLockAndCounterTasks();
}
