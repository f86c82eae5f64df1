using DurableTask.Core;
using DurableTask.Core.Entities;
using DurableTask.Core.Entities.OperationFormat;
using DurableTask.Core.Middleware;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;

namespace Serverless.Testing.Durable;

/// <summary>
/// Runs SDK orchestrators and entities inside the core dispatchers, as the Functions host does: the middleware
/// builds the shim per work item (with the parent instance or entity id) and hands the result back to the core.
/// </summary>
internal sealed class SdkDispatchMiddleware(
    IDurableTaskFactory2 factory, DurableTaskShimFactory shims, IServiceProvider services, BehaviorOnContinueAsNew continueAsNew)
{
    public Task RunOrchestrationAsync(DispatchMiddlewareContext context, Func<Task> next)
    {
        var state = context.GetProperty<OrchestrationRuntimeState>();
        TaskName name = state.Name;
        var parent = state.ParentInstance is { } p
            ? new ParentOrchestrationInstance(p.Name, p.OrchestrationInstance.InstanceId)
            : null;

        // An unknown name fails the instance (visible to the test) instead of retrying the work item forever.
        var shim = factory.TryCreateOrchestrator(name, services, out var orchestrator)
            ? shims.CreateOrchestration(name, orchestrator, parent)
            : shims.CreateOrchestration<object?, object?>(
                name, (_, _) => throw new InvalidOperationException($"Orchestrator '{name}' is not registered."), parent);

        var executor = new TaskOrchestrationExecutor(
            state, shim, continueAsNew, context.GetProperty<TaskOrchestrationEntityParameters>(), ErrorPropagationMode.UseFailureDetails);
        context.SetProperty(executor.Execute());
        return Task.CompletedTask;
    }

    public async Task RunEntityBatchAsync(DispatchMiddlewareContext context, Func<Task> next)
    {
        var request = context.GetProperty<EntityBatchRequest>();
        var id = EntityId.FromString(request.InstanceId ?? throw new InvalidOperationException("Entity batch without an instance id."));

        // Entity ids carry the name lower-cased; TaskName compares case-insensitively, so the registry still finds it.
        TaskName name = id.Name;
        var entity = factory.TryCreateEntity(name, services, out var registered) ? registered : new UnregisteredEntity(name);
        context.SetProperty(await shims.CreateEntity(name, entity, id).ExecuteOperationBatchAsync(request));
    }

    /// <summary>Fails each operation, so a caller sees the error instead of the batch being retried forever.</summary>
    private sealed class UnregisteredEntity(TaskName name) : ITaskEntity
    {
        public ValueTask<object?> RunAsync(TaskEntityOperation operation) =>
            throw new InvalidOperationException($"Entity '{name}' is not registered.");
    }
}
