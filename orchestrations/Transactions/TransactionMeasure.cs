using Microsoft.DurableTask;
using Serverless.Core.Telemetry;

namespace Serverless.Orchestrations.Transactions;

/// <summary>
/// Records a transaction's outcome and duration (<see cref="TransactionMetrics"/>) when its orchestrator returns. The
/// start and end are the orchestration's own replay-safe clock, and nothing is recorded while replaying, so a
/// transaction that resumes after a crash counts once, with its whole duration.
/// </summary>
internal static class TransactionMeasure
{
    public static async Task<TransactionOutcome> RunAsync(TaskOrchestrationContext context, string protocol, Func<Task<TransactionOutcome>> run)
    {
        var started = context.CurrentUtcDateTime;
        var outcome = await run();
        if (!context.IsReplaying)
        {
            TransactionMetrics.Finished(protocol, Name(outcome.Result), context.CurrentUtcDateTime - started);
        }

        return outcome;
    }

    private static string Name(TransactionResult result) => result switch
    {
        TransactionResult.Applied => "applied",
        TransactionResult.RolledBack => "rolled-back",
        _ => "needs-attention",
    };
}
