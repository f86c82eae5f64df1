using Microsoft.DurableTask;
using Serverless.Core.Locking;

namespace Serverless.Orchestrations.Locks;

/// <summary>Input of <see cref="LockAcquireOrchestrator"/>.</summary>
/// <param name="Name">The lock.</param>
/// <param name="Owner">Who asks.</param>
/// <param name="LeaseMs">Lease once granted.</param>
/// <param name="WaitMs">How long to wait in line; 0 answers at once.</param>
public sealed record LockAcquireInput(string Name, string Owner, int LeaseMs, int WaitMs);

/// <summary>
/// Takes an entity lock for a caller outside any orchestration (an HTTP request): the waiting happens here, on a
/// durable timer and a grant event, and the caller only waits for this instance to finish.
/// </summary>
public sealed class LockAcquireOrchestrator : TaskOrchestrator<LockAcquireInput, LockResult>
{
    /// <inheritdoc />
    public override Task<LockResult> RunAsync(TaskOrchestrationContext context, LockAcquireInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return context.AcquireLockAsync(input.Name, input.Owner, TimeSpan.FromMilliseconds(input.LeaseMs), TimeSpan.FromMilliseconds(input.WaitMs));
    }
}
