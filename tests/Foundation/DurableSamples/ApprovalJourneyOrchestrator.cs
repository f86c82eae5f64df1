using Microsoft.DurableTask;

namespace Serverless.Tests.Foundation.DurableSamples;

public sealed record ApprovalJourneyResult(string Greeting, int Recorded, string Child, string Approval);

/// <summary>Activities, a sub-orchestration, a durable timer, then an external event raced against a timeout timer.</summary>
public sealed class ApprovalJourneyOrchestrator : TaskOrchestrator<string, ApprovalJourneyResult>
{
    public const string ApprovalEvent = "Approval";
    public const string WaitingStatus = "waiting-for-approval";

    public override async Task<ApprovalJourneyResult> RunAsync(TaskOrchestrationContext context, string input)
    {
        var greeting = await context.CallActivityAsync<string>(nameof(GreetingActivity), input);
        var recorded = await context.CallActivityAsync<int>(nameof(RecordingActivity), context.InstanceId);
        var child = await context.CallSubOrchestratorAsync<string>(nameof(ParentEchoOrchestrator), input);
        // Azure Storage queues delay messages in whole seconds (truncated), so a timer can fire up to 1 s early.
        await context.CreateTimer(TimeSpan.FromSeconds(2), CancellationToken.None);

        context.SetCustomStatus(WaitingStatus);
        using var timeout = new CancellationTokenSource();
        var approval = context.WaitForExternalEvent<string>(ApprovalEvent);
        var expiry = context.CreateTimer(TimeSpan.FromSeconds(30), timeout.Token);
        string decision;
        if (await Task.WhenAny(approval, expiry) == approval)
        {
            // The orchestration only completes once every timer it created fired or was cancelled. Cancel
            // synchronously: CancelAsync resumes on the thread pool, outside the orchestration's single-threaded
            // replay, and the completion is then lost (the instance stays Running until the timer fires).
            timeout.Cancel();
            decision = await approval;
        }
        else
        {
            decision = "expired";
        }

        return new ApprovalJourneyResult(greeting, recorded, child, decision);
    }
}
