using Microsoft.DurableTask;

namespace Serverless.Orchestrations.Transactions;

/// <summary>Retry and timeout helpers shared by the two orchestrators.</summary>
internal static class TransactionRetries
{
    /// <summary>Exponential retry for idempotent participant calls: first interval doubling, capped at ten times it.</summary>
    public static TaskOptions Policy(TransactionInput input) => TaskOptions.FromRetryPolicy(new RetryPolicy(
        input.RetryAttempts, input.RetryFirstInterval, backoffCoefficient: 2.0, maxRetryInterval: input.RetryFirstInterval * 10));

    /// <summary>
    /// Awaits <paramref name="work"/> unless the durable timer fires first. Returns false on timeout; the work may
    /// still run later, which the participants' tombstones make harmless. The losing timer is cancelled
    /// synchronously (<c>Cancel</c>, not <c>CancelAsync</c>): the latter resumes outside the orchestration's
    /// single-threaded replay, and the orchestration would wait for the timer before completing.
    /// </summary>
    public static async Task<bool> WithinAsync(TaskOrchestrationContext context, Task work, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource();
        var timer = context.CreateTimer(timeout, cancel.Token);
        if (await Task.WhenAny(work, timer) == work)
        {
            cancel.Cancel();
            return true;
        }

        return false;
    }

    /// <summary>A short, single-line account of a failed call.</summary>
    public static string Describe(TaskFailedException failure) =>
        $"failed: {failure.FailureDetails.ErrorType}: {failure.FailureDetails.ErrorMessage}".ReplaceLineEndings(" ");
}
