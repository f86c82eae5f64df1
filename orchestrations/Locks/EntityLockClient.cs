using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.Core.Locking;

namespace Serverless.Orchestrations.Locks;

/// <summary>
/// <see cref="IDistributedLock"/> over <see cref="LockEntity"/> for callers holding a <see cref="DurableTaskClient"/>
/// (HTTP starters, tests, benchmarks). Each call runs a small orchestration and waits for it to finish.
/// </summary>
public sealed class EntityLockClient(DurableTaskClient client, TimeProvider time) : IDistributedLock
{
    /// <summary>How much longer than the requested wait a caller waits for the orchestration before giving up.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public Task<LockResult> AcquireAsync(string name, string owner, TimeSpan lease, TimeSpan wait, CancellationToken cancellationToken = default) =>
        RunAsync(nameof(LockAcquireOrchestrator), new LockAcquireInput(name, owner, (int)lease.TotalMilliseconds, (int)wait.TotalMilliseconds), wait, cancellationToken);

    /// <inheritdoc />
    public Task<LockResult> ReleaseAsync(string name, string owner, long token, CancellationToken cancellationToken = default) =>
        RunAsync(nameof(LockCommandOrchestrator), new LockCommand(name, Extend: false, owner, token), TimeSpan.Zero, cancellationToken);

    /// <inheritdoc />
    public Task<LockResult> ExtendAsync(string name, string owner, long token, TimeSpan lease, CancellationToken cancellationToken = default) =>
        RunAsync(nameof(LockCommandOrchestrator), new LockCommand(name, Extend: true, owner, token, (int)lease.TotalMilliseconds), TimeSpan.Zero, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Reads the entity's stored state; a lease past its end counts as free even before the entity's reminder ran.</remarks>
    public async Task<LockView> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var entity = await client.Entities.GetEntityAsync<LockState>(LockEntity.IdFor(name), includeState: true, cancellationToken);
        if (entity?.State is not { } state)
        {
            return new LockView(false, 0, null, 0, 0);
        }

        var live = state.Holder is not null && state.ExpiresAt > time.GetUtcNow();
        return live
            ? new LockView(true, state.Token, state.ExpiresAt, state.LastToken, state.Waiters.Count)
            : new LockView(false, 0, null, state.LastToken, state.Waiters.Count);
    }

    private async Task<LockResult> RunAsync(TaskName orchestrator, object input, TimeSpan wait, CancellationToken cancellationToken)
    {
        var id = await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(wait + Grace);
        OrchestrationMetadata done;
        try
        {
            done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The lock orchestration '{id}' did not finish within {(wait + Grace).TotalSeconds:0} s.");
        }

        return done.RuntimeStatus == OrchestrationRuntimeStatus.Completed && done.ReadOutputAs<LockResult>() is { } result
            ? result
            : throw new InvalidOperationException(
                $"The lock orchestration '{id}' ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage ?? "no result"}.");
    }
}
