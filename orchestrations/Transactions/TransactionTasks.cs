using Microsoft.DurableTask;

namespace Serverless.Orchestrations.Transactions;

/// <summary>Registers every transaction orchestrator and activity, for hosts that register tasks explicitly.</summary>
public static class TransactionTasks
{
    /// <summary>Adds the 2PC coordinator, the order saga and their activities.</summary>
    public static DurableTaskRegistry AddTransactionTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<TwoPhaseCommitOrchestrator>()
            .AddOrchestrator<OrderSagaOrchestrator>()
            .AddActivity<ParticipantPrepareActivity>()
            .AddActivity<ParticipantCommitActivity>()
            .AddActivity<ParticipantAbortActivity>()
            .AddActivity<SagaStepActivity>()
            .AddActivity<SagaCompensationActivity>()
            .AddActivity<RecordDecisionActivity>()
            .AddActivity<RecordNeedsAttentionActivity>();
    }
}
