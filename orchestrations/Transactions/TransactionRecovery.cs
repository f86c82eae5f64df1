using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Serverless.Core.Transactions;

namespace Serverless.Orchestrations.Transactions;

/// <summary>What one recovery pass did.</summary>
/// <param name="Examined">Reservations prepared for longer than the bound.</param>
/// <param name="Committed">Committed from a recorded Commit decision.</param>
/// <param name="Aborted">Aborted from a recorded (or, presumed, newly recorded) Abort.</param>
/// <param name="LeftToCoordinator">Skipped: no decision yet and the coordinator is still running.</param>
public sealed record RecoveryReport(int Examined, int Committed, int Aborted, int LeftToCoordinator);

/// <summary>
/// Resolves 2PC reservations left prepared for longer than <see cref="TransactionOptions.RecoverAfter"/>: from the
/// recorded decision if there is one; otherwise, once the coordinator is gone (failed, terminated, purged) or has
/// been silent for twice the bound, by recording Abort (presumed abort). The decision log is first-writer-wins, so
/// a coordinator that wakes up afterwards reads Abort and follows it; the two can never disagree.
/// </summary>
public sealed class TransactionRecovery(
    TransactionParticipants participants, DecisionLog decisions, TimeProvider time, IOptions<TransactionOptions> options)
{
    /// <summary>One pass over every participant.</summary>
    /// <param name="client">Reads the coordinators' status.</param>
    /// <param name="olderThan">Overrides <see cref="TransactionOptions.RecoverAfter"/> (tests, manual runs).</param>
    /// <param name="forceAfter">Age after which an undecided reservation is aborted even though its coordinator still runs; twice the bound by default.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<RecoveryReport> RecoverAsync(
        DurableTaskClient client, TimeSpan? olderThan = null, TimeSpan? forceAfter = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var bound = olderThan ?? options.Value.RecoverAfter;
        var force = forceAfter ?? 2 * bound;
        var now = time.GetUtcNow();
        int examined = 0, committed = 0, aborted = 0, left = 0;
        foreach (var participant in participants.All)
        {
            var stale = new List<ParticipantEntry>();
            await foreach (var entry in participant.PreparedBeforeAsync(now - bound, ct))
            {
                stale.Add(entry);
            }

            foreach (var entry in stale)
            {
                examined++;
                var decision = await decisions.GetAsync(entry.TransactionId, ct);
                if (decision is null && entry.UpdatedAt > now - force && await CoordinatorRunningAsync(client, entry.TransactionId, ct))
                {
                    left++;
                    continue;
                }

                decision ??= await decisions.RecordAsync(entry.TransactionId, Decision.Abort, "recovery", ct);
                if (decision == Decision.Commit)
                {
                    await participant.CommitAsync(entry, ct);
                    committed++;
                }
                else
                {
                    await participant.AbortAsync(entry, ct);
                    aborted++;
                }
            }
        }

        return new RecoveryReport(examined, committed, aborted, left);
    }

    private static async Task<bool> CoordinatorRunningAsync(DurableTaskClient client, string id, CancellationToken ct) =>
        await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct) is
        { RuntimeStatus: OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Suspended };
}
