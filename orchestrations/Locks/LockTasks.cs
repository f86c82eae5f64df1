using Microsoft.DurableTask;
using Serverless.Orchestrations.Counters;

namespace Serverless.Orchestrations.Locks;

/// <summary>Registers the lock and counter entities and orchestrators, for hosts that register tasks explicitly.</summary>
public static class LockTasks
{
    /// <summary>Adds the lock entity and its orchestrations, the counters and the transfer/stock orchestrations.</summary>
    public static DurableTaskRegistry AddLockAndCounterTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddEntity<LockEntity>()
            .AddOrchestrator<LockAcquireOrchestrator>()
            .AddOrchestrator<LockCommandOrchestrator>()
            .AddOrchestrator<LockGrantNotifier>()
            .AddEntity<CounterEntity>()
            .AddEntity<BoundedCounterEntity>()
            .AddOrchestrator<TransferOrchestrator>()
            .AddOrchestrator<StockTakeOrchestrator>();
    }
}
