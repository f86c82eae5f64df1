using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;

namespace Serverless.Tests.Fuzz;

/// <summary>Thrown when a fuzzed request got past a function's input checks to the durable backend.</summary>
internal sealed class BackendReachedException() : Exception("The request reached the durable backend.");

/// <summary>
/// A durable client that no fuzz case should need: input the function rejects never reaches it, and input it accepts
/// stops here (as <see cref="BackendReachedException"/>) instead of starting orchestrations. Written by hand because
/// no mocking library is referenced and the surface is only these abstract members.
/// </summary>
internal sealed class UnreachableDurableClient() : DurableTaskClient("fuzz")
{
    public override DurableEntityClient Entities { get; } = new UnreachableEntityClient();

    private static BackendReachedException Reached => new();

    public override Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default) => throw Reached;

    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default) => throw Reached;

    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) => throw Reached;

    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) => throw Reached;

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) => throw Reached;

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) => throw Reached;

    public override Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) => throw Reached;

    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) => throw Reached;

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class UnreachableEntityClient() : DurableEntityClient("fuzz")
    {
        public override Task SignalEntityAsync(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null, CancellationToken cancellation = default) => throw Reached;

        public override Task<EntityMetadata?> GetEntityAsync(EntityInstanceId id, bool includeState = true, CancellationToken cancellation = default) => throw Reached;

        public override Task<EntityMetadata<T>?> GetEntityAsync<T>(EntityInstanceId id, bool includeState = true, CancellationToken cancellation = default) => throw Reached;

        public override AsyncPageable<EntityMetadata> GetAllEntitiesAsync(EntityQuery? filter = null) => throw Reached;

        public override AsyncPageable<EntityMetadata<T>> GetAllEntitiesAsync<T>(EntityQuery? filter = null) => throw Reached;

        public override Task<CleanEntityStorageResult> CleanEntityStorageAsync(CleanEntityStorageRequest? request = null, bool continueUntilComplete = true, CancellationToken cancellation = default) => throw Reached;
    }
}
