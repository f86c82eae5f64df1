using Microsoft.DurableTask;

namespace Serverless.Tests.Foundation.DurableSamples;

public sealed record SlowStep(string RunId, int Step);

/// <summary>Slow activities in sequence; the custom status is the last finished step, so a test can crash in between.</summary>
public sealed class SlowStepsOrchestrator : TaskOrchestrator<SlowStepsOrchestrator.Run, int[]>
{
    public override async Task<int[]> RunAsync(TaskOrchestrationContext context, Run input)
    {
        var results = new List<int>();
        for (var step = 1; step <= input.Steps; step++)
        {
            results.Add(await context.CallActivityAsync<int>(nameof(SlowStepActivity), new SlowStep(input.RunId, step)));
            context.SetCustomStatus(step);
        }

        return [.. results];
    }

    public sealed record Run(string RunId, int Steps);
}

public sealed class SlowStepActivity(ActivityRunLog log) : TaskActivity<SlowStep, int>
{
    public static string RunKey(string runId, int step) => $"{runId}/step-{step}";

    public override async Task<int> RunAsync(TaskActivityContext context, SlowStep input)
    {
        log.Record(RunKey(input.RunId, input.Step));

        // Long enough that a crash right after a step finished lands while the next one is in flight.
        await Task.Delay(TimeSpan.FromMilliseconds(1500));
        return input.Step * 10;
    }
}
