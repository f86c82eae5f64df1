using Microsoft.DurableTask;

namespace Serverless.Orchestrations.Locks;

/// <summary>
/// Started by <see cref="LockEntity"/> when it grants a waiting orchestration: entities in this SDK (1.28) can start
/// orchestrations but not raise events, so this one-step orchestration raises <see cref="LockEvents.Granted"/> for it.
/// </summary>
public sealed class LockGrantNotifier : TaskOrchestrator<LockGrantNotice, bool>
{
    /// <inheritdoc />
    public override Task<bool> RunAsync(TaskOrchestrationContext context, LockGrantNotice input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        context.SendEvent(input.InstanceId, LockEvents.Granted, input);
        return Task.FromResult(true);
    }
}
