using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Core.Transactions;
using Serverless.Orchestrations.Transactions;

namespace Serverless.Functions.Transactions;

/// <summary>Every minute by default (Transactions:RecoverySchedule): resolve 2PC reservations prepared for longer than <c>Transactions:RecoverAfter</c>.</summary>
public sealed class TransactionRecoveryFunction(
    TransactionParticipants participants, DecisionLog decisions, TimeProvider time, IOptions<TransactionOptions> options, ILogger<TransactionRecoveryFunction> logger)
{
    private readonly TransactionRecovery _recovery = new(participants, decisions, time, options);

    [Function("RecoverTransactions")]
    public async Task Run([TimerTrigger("%Transactions:RecoverySchedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var report = await _recovery.RecoverAsync(client, ct: cancellationToken);
        if (report.Examined > 0)
        {
            logger.LogWarning("Transaction recovery: {Examined} stale reservations, {Committed} committed, {Aborted} aborted, {Left} left to their running coordinator.",
                report.Examined, report.Committed, report.Aborted, report.LeftToCoordinator);
        }
    }
}
