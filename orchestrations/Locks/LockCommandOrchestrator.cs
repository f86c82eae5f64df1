using Microsoft.DurableTask;
using Serverless.Core.Locking;

namespace Serverless.Orchestrations.Locks;

/// <summary>Input of <see cref="LockCommandOrchestrator"/>.</summary>
/// <param name="Name">The lock.</param>
/// <param name="Extend">True to extend, false to release.</param>
/// <param name="Owner">The grant's owner token.</param>
/// <param name="Token">The holder's fencing token.</param>
/// <param name="LeaseMs">The new lease when extending.</param>
public sealed record LockCommand(string Name, bool Extend, string Owner, long Token, int LeaseMs = 0);

/// <summary>
/// Release or extend for a caller outside any orchestration. A client can only signal entities (no answer), and the
/// caller must learn whether its token was accepted, so the two-way entity call happens in here.
/// </summary>
public sealed class LockCommandOrchestrator : TaskOrchestrator<LockCommand, LockResult>
{
    /// <inheritdoc />
    public override Task<LockResult> RunAsync(TaskOrchestrationContext context, LockCommand input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var id = LockEntity.IdFor(input.Name);
        return input.Extend
            ? context.Entities.CallEntityAsync<LockResult>(id, nameof(LockEntity.Extend), new LockExtend(input.Owner, input.Token, input.LeaseMs))
            : context.Entities.CallEntityAsync<LockResult>(id, nameof(LockEntity.Release), new LockRelease(input.Owner, input.Token));
    }
}
