using Microsoft.DurableTask;
using Serverless.Core.Transactions;

namespace Serverless.Orchestrations.Transactions;

/// <summary>
/// The order saga: ReserveStock → ChargePayment → CreateShipment, each raced against a durable timer. Each step's
/// compensation is registered before the step runs, because a step that timed out or lost its reply may still have
/// applied. On a refusal, failure or timeout the registered compensations run in reverse with a retry policy;
/// one that keeps failing is recorded for attention (Table row and queue message), never dropped.
/// </summary>
public sealed class OrderSagaOrchestrator : TaskOrchestrator<TransactionInput, TransactionOutcome>
{
    private static readonly ParticipantName[] Steps = [ParticipantName.Inventory, ParticipantName.Payments, ParticipantName.Shipping];

    /// <inheritdoc />
    public override Task<TransactionOutcome> RunAsync(TaskOrchestrationContext context, TransactionInput input) =>
        TransactionMeasure.RunAsync(context, Core.Telemetry.TransactionMetrics.Saga, () => RunCoreAsync(context, input));

    private static async Task<TransactionOutcome> RunCoreAsync(TaskOrchestrationContext context, TransactionInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var retry = TransactionRetries.Policy(input);
        var steps = new List<StepRecord>();
        var compensations = new Stack<ParticipantName>();
        string? failure = null;

        foreach (var participant in Steps)
        {
            context.SetCustomStatus($"{TransactionPhase.Applying}:{participant}");
            compensations.Push(participant);
            var result = await ApplyAsync(context, input, participant, retry);
            steps.Add(new StepRecord(participant, "Apply", result));
            if (result != nameof(StepResult.Applied))
            {
                failure = $"{participant} step {result}";
                break;
            }
        }

        if (failure is null)
        {
            context.SetCustomStatus(TransactionPhase.Done);
            return new TransactionOutcome(TransactionResult.Applied, "Stock reserved, payment charged, shipment created.", null, steps);
        }

        context.SetCustomStatus(TransactionPhase.Compensating);
        var unresolved = new List<ParticipantName>();
        while (compensations.TryPop(out var participant))
        {
            var (record, done) = await CompensateAsync(context, input, participant, retry);
            steps.Add(record);
            if (!done)
            {
                unresolved.Add(participant);
            }
        }

        context.SetCustomStatus(TransactionPhase.Done);
        return unresolved.Count == 0
            ? new TransactionOutcome(TransactionResult.RolledBack, $"Compensated: {failure}.", null, steps)
            : new TransactionOutcome(TransactionResult.NeedsAttention,
                $"{failure}; compensation kept failing at {string.Join(", ", unresolved)} (recorded for attention).", null, steps);
    }

    private static async Task<string> ApplyAsync(TaskOrchestrationContext context, TransactionInput input, ParticipantName participant, TaskOptions retry)
    {
        var step = context.CallActivityAsync<StepResult>(nameof(SagaStepActivity), new ParticipantCall(participant, input.Order), retry);
        if (!await TransactionRetries.WithinAsync(context, step, input.Timeout))
        {
            return "timed out";
        }

        try
        {
            return (await step).ToString();
        }
        catch (TaskFailedException failure)
        {
            return TransactionRetries.Describe(failure);
        }
    }

    private static async Task<(StepRecord Record, bool Done)> CompensateAsync(
        TaskOrchestrationContext context, TransactionInput input, ParticipantName participant, TaskOptions retry)
    {
        string reason;
        try
        {
            var state = await context.CallActivityAsync<ParticipantState>(
                nameof(SagaCompensationActivity), new ParticipantCall(participant, input.Order), retry);
            if (state is ParticipantState.Compensated or ParticipantState.Refused)
            {
                return (new StepRecord(participant, "Compensate", state.ToString()), true);
            }

            reason = $"protocol conflict: the participant's entry is {state}";
        }
        catch (TaskFailedException failure)
        {
            reason = TransactionRetries.Describe(failure);
        }

        await context.CallActivityAsync<bool>(
            nameof(RecordNeedsAttentionActivity), new AttentionRequest(input.Order.TransactionId, participant, "Compensate", reason), retry);
        return (new StepRecord(participant, "Compensate", $"needs attention: {reason}"), false);
    }
}
