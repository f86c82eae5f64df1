using Microsoft.DurableTask;
using Serverless.Core.Transactions;

namespace Serverless.Orchestrations.Transactions;

/// <summary>
/// The 2PC coordinator. Phase 1 sends Prepare to every participant in parallel, raced against a durable timer;
/// phase 2 records the decision durably (before anyone hears Commit) and delivers it until acknowledged. Any No,
/// failed or late prepare aborts (presumed abort). The coordinator itself is durable: a crash at any point
/// replays to the same place, so participants are never left waiting on a coordinator that forgot them.
/// </summary>
public sealed class TwoPhaseCommitOrchestrator : TaskOrchestrator<TransactionInput, TransactionOutcome>
{
    private static readonly ParticipantName[] Participants = [ParticipantName.Inventory, ParticipantName.Payments, ParticipantName.Shipping];

    /// <inheritdoc />
    public override Task<TransactionOutcome> RunAsync(TaskOrchestrationContext context, TransactionInput input) =>
        TransactionMeasure.RunAsync(context, Core.Telemetry.TransactionMetrics.TwoPhaseCommit, () => RunCoreAsync(context, input));

    private static async Task<TransactionOutcome> RunCoreAsync(TaskOrchestrationContext context, TransactionInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var retry = TransactionRetries.Policy(input);

        context.SetCustomStatus(TransactionPhase.Preparing);
        var prepares = Participants.Select(p => PrepareAsync(context, input, p, retry)).ToList();
        await TransactionRetries.WithinAsync(context, Task.WhenAll(prepares), input.Timeout);

        // Replay-safe: which prepares finished before the timer is fixed by the order of events in the history.
        var steps = prepares.Select((p, i) => p.IsCompletedSuccessfully ? p.Result : new StepRecord(Participants[i], "Prepare", "timed out")).ToList();
        var proposed = steps.All(s => s.Result == nameof(Vote.Yes)) ? Decision.Commit : Decision.Abort;

        context.SetCustomStatus(TransactionPhase.Deciding);
        var decision = await context.CallActivityAsync<Decision>(
            nameof(RecordDecisionActivity), new DecisionRequest(input.Order.TransactionId, proposed), retry);

        context.SetCustomStatus(decision == Decision.Commit ? TransactionPhase.Committing : TransactionPhase.Aborting);
        var deliveries = await Task.WhenAll(Participants.Select(p => DeliverAsync(context, input, p, decision, retry)));
        steps.AddRange(deliveries.Select(d => d.Step));

        context.SetCustomStatus(TransactionPhase.Done);
        var stuck = deliveries.Where(d => !d.Acknowledged).Select(d => d.Step.Participant).ToList();
        if (stuck.Count > 0)
        {
            return new TransactionOutcome(TransactionResult.NeedsAttention,
                $"Decided {decision}; not acknowledged by {string.Join(", ", stuck)} (recorded for attention; the recovery job keeps delivering).", decision, steps);
        }

        return decision == Decision.Commit
            ? new TransactionOutcome(TransactionResult.Applied, "Every participant voted Yes; committed everywhere.", decision, steps)
            : new TransactionOutcome(TransactionResult.RolledBack, AbortReason(steps, proposed, decision), decision, steps);
    }

    private static async Task<StepRecord> PrepareAsync(TaskOrchestrationContext context, TransactionInput input, ParticipantName participant, TaskOptions retry)
    {
        try
        {
            var vote = await context.CallActivityAsync<Vote>(nameof(ParticipantPrepareActivity), new ParticipantCall(participant, input.Order), retry);
            return new StepRecord(participant, "Prepare", vote.ToString());
        }
        catch (TaskFailedException failure)
        {
            return new StepRecord(participant, "Prepare", TransactionRetries.Describe(failure));
        }
    }

    // Delivery repeats whole retry-policy rounds with a pause between; a conflicting state ends it at once, as
    // retrying cannot change it. Unacknowledged at the end: escalate, and leave the rest to the recovery job,
    // which reads the same decision log.
    private static async Task<(StepRecord Step, bool Acknowledged)> DeliverAsync(
        TaskOrchestrationContext context, TransactionInput input, ParticipantName participant, Decision decision, TaskOptions retry)
    {
        var activity = decision == Decision.Commit ? nameof(ParticipantCommitActivity) : nameof(ParticipantAbortActivity);
        var operation = decision.ToString();
        var last = "";
        for (var round = 1; round <= input.DeliveryRounds; round++)
        {
            try
            {
                var state = await context.CallActivityAsync<ParticipantState>(activity, new ParticipantCall(participant, input.Order), retry);
                var acknowledged = decision == Decision.Commit
                    ? state == ParticipantState.Committed
                    : state is ParticipantState.Aborted or ParticipantState.Refused;
                if (acknowledged)
                {
                    return (new StepRecord(participant, operation, round == 1 ? state.ToString() : $"{state} (round {round})"), true);
                }

                last = $"protocol conflict: the participant's entry is {state}";
                break;
            }
            catch (TaskFailedException failure)
            {
                last = TransactionRetries.Describe(failure);
            }

            if (round < input.DeliveryRounds)
            {
                await context.CreateTimer(input.RetryFirstInterval * 10, CancellationToken.None);
            }
        }

        await context.CallActivityAsync<bool>(
            nameof(RecordNeedsAttentionActivity), new AttentionRequest(input.Order.TransactionId, participant, operation, last), retry);
        return (new StepRecord(participant, operation, $"needs attention: {last}"), false);
    }

    private static string AbortReason(List<StepRecord> steps, Decision proposed, Decision decision) =>
        proposed == decision
            ? "Aborted: " + string.Join("; ", steps.Where(s => s.Operation == "Prepare" && s.Result != nameof(Vote.Yes)).Select(s => $"{s.Participant} {s.Result}")) + "."
            : "Aborted: the recovery job recorded Abort before the coordinator could record Commit.";
}
