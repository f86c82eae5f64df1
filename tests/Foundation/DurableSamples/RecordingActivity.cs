using Microsoft.DurableTask;

namespace Serverless.Tests.Foundation.DurableSamples;

/// <summary>Proves constructor injection: the log comes from the container passed to the backend.</summary>
public sealed class RecordingActivity(ActivityRunLog log) : TaskActivity<string, int>
{
    public override Task<int> RunAsync(TaskActivityContext context, string input) => Task.FromResult(log.Record(input));
}
