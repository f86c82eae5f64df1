using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Core.Transactions;
using Serverless.Orchestrations.Transactions;

namespace Serverless.Functions.Transactions;

/// <summary>Durable wrappers of the 2PC coordinator, the order saga and their activities.</summary>
public static class TransactionDurableFunctions
{
    [Function(nameof(TwoPhaseCommitOrchestrator))]
    public static Task<TransactionOutcome> TwoPhaseCommitOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new TwoPhaseCommitOrchestrator().RunAsync(context, context.GetInput<TransactionInput>()!);

    [Function(nameof(OrderSagaOrchestrator))]
    public static Task<TransactionOutcome> OrderSagaOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new OrderSagaOrchestrator().RunAsync(context, context.GetInput<TransactionInput>()!);

    [Function(nameof(ParticipantPrepareActivity))]
    public static Task<Vote> ParticipantPrepareActivity([ActivityTrigger] ParticipantCall call, FunctionContext functionContext) =>
        Create<ParticipantPrepareActivity>(functionContext).ExecuteAsync(call);

    [Function(nameof(ParticipantCommitActivity))]
    public static Task<ParticipantState> ParticipantCommitActivity([ActivityTrigger] ParticipantCall call, FunctionContext functionContext) =>
        Create<ParticipantCommitActivity>(functionContext).ExecuteAsync(call);

    [Function(nameof(ParticipantAbortActivity))]
    public static Task<ParticipantState> ParticipantAbortActivity([ActivityTrigger] ParticipantCall call, FunctionContext functionContext) =>
        Create<ParticipantAbortActivity>(functionContext).ExecuteAsync(call);

    [Function(nameof(SagaStepActivity))]
    public static Task<StepResult> SagaStepActivity([ActivityTrigger] ParticipantCall call, FunctionContext functionContext) =>
        Create<SagaStepActivity>(functionContext).ExecuteAsync(call);

    [Function(nameof(SagaCompensationActivity))]
    public static Task<ParticipantState> SagaCompensationActivity([ActivityTrigger] ParticipantCall call, FunctionContext functionContext) =>
        Create<SagaCompensationActivity>(functionContext).ExecuteAsync(call);

    [Function(nameof(RecordDecisionActivity))]
    public static Task<Decision> RecordDecisionActivity([ActivityTrigger] DecisionRequest request, FunctionContext functionContext) =>
        Create<RecordDecisionActivity>(functionContext).ExecuteAsync(request);

    [Function(nameof(RecordNeedsAttentionActivity))]
    public static Task<bool> RecordNeedsAttentionActivity([ActivityTrigger] AttentionRequest request, FunctionContext functionContext) =>
        Create<RecordNeedsAttentionActivity>(functionContext).ExecuteAsync(request);

    private static T Create<T>(FunctionContext functionContext) => ActivatorUtilities.CreateInstance<T>(functionContext.InstanceServices);
}
