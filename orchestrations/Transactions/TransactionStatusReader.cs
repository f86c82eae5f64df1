using Microsoft.DurableTask.Client;
using Serverless.Core.Transactions;

namespace Serverless.Orchestrations.Transactions;

/// <summary>One participant in a status view: its entry now, and the steps the orchestrator recorded there.</summary>
/// <param name="Participant">Which participant.</param>
/// <param name="State">Its entry's state (None when never reached).</param>
/// <param name="UpdatedAt">When the entry last changed.</param>
/// <param name="Steps">Finished steps at this participant, as the orchestration reported them.</param>
public sealed record ParticipantStatus(ParticipantName Participant, ParticipantState State, DateTimeOffset? UpdatedAt, IReadOnlyList<StepRecord> Steps);

/// <summary>What <c>GET /api/transactions/{id}</c> answers.</summary>
/// <param name="Id">Transaction and instance id.</param>
/// <param name="Protocol">2PC or saga.</param>
/// <param name="RuntimeStatus">The orchestration's status (Running, Completed, Failed…).</param>
/// <param name="Phase">The orchestration's custom status (see <see cref="TransactionPhase"/>).</param>
/// <param name="CreatedAt">When it was started.</param>
/// <param name="LastUpdatedAt">When it last changed.</param>
/// <param name="Order">The order.</param>
/// <param name="Decision">2PC: the recorded decision, if made.</param>
/// <param name="Participants">Per participant: entry state and steps.</param>
/// <param name="Outcome">The result once finished.</param>
/// <param name="Failure">The orchestration's failure message, if it failed.</param>
/// <param name="Attention">Needs-attention records for this transaction.</param>
public sealed record TransactionStatus(
    string Id,
    TransactionProtocol Protocol,
    OrchestrationRuntimeStatus RuntimeStatus,
    string? Phase,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    TransactionOrder Order,
    Decision? Decision,
    IReadOnlyList<ParticipantStatus> Participants,
    TransactionOutcome? Outcome,
    string? Failure,
    IReadOnlyList<AttentionItem> Attention);

/// <summary>Reads an order's status from its orchestration and from every participant's store.</summary>
public sealed class TransactionStatusReader(TransactionParticipants participants, DecisionLog decisions, AttentionLog attention)
{
    /// <summary>The status, or null when no such transaction was started.</summary>
    public async Task<TransactionStatus?> ReadAsync(DurableTaskClient client, string id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, ct);
        if (instance?.ReadInputAs<TransactionInput>() is not { } input)
        {
            return null;
        }

        var outcome = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<TransactionOutcome>() : null;
        var views = new List<ParticipantStatus>();
        foreach (var participant in participants.All)
        {
            var entry = await participant.GetAsync(input.Order, ct);
            var steps = outcome?.Steps.Where(s => s.Participant == participant.Name).ToList() ?? [];
            views.Add(new ParticipantStatus(participant.Name, entry?.State ?? ParticipantState.None, entry?.UpdatedAt, steps));
        }

        return new TransactionStatus(
            id, input.Protocol, instance.RuntimeStatus, instance.SerializedCustomStatus is null ? null : instance.ReadCustomStatusAs<string>(),
            instance.CreatedAt, instance.LastUpdatedAt, input.Order,
            input.Protocol == TransactionProtocol.TwoPhaseCommit ? await decisions.GetAsync(id, ct) : null,
            views, outcome, instance.FailureDetails?.ErrorMessage, await attention.ForAsync(id, ct));
    }
}
