using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Serverless.Core.Locking;
using Serverless.Orchestrations.Locks;

namespace Serverless.Functions.Locks;

/// <summary>Durable wrappers of the entity lock: the entity and its orchestrations.</summary>
public static class LockDurableFunctions
{
    [Function(nameof(LockEntity))]
    public static Task LockEntity([EntityTrigger] TaskEntityDispatcher dispatcher) => dispatcher.DispatchAsync<LockEntity>();

    [Function(nameof(LockAcquireOrchestrator))]
    public static Task<LockResult> LockAcquireOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context, LockAcquireInput input) =>
        new LockAcquireOrchestrator().RunAsync(context, input);

    [Function(nameof(LockCommandOrchestrator))]
    public static Task<LockResult> LockCommandOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context, LockCommand input) =>
        new LockCommandOrchestrator().RunAsync(context, input);

    [Function(nameof(LockGrantNotifier))]
    public static Task<bool> LockGrantNotifier([OrchestrationTrigger] TaskOrchestrationContext context, LockGrantNotice input) =>
        new LockGrantNotifier().RunAsync(context, input);
}
