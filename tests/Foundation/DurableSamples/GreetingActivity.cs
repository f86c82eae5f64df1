using Microsoft.DurableTask;

namespace Serverless.Tests.Foundation.DurableSamples;

public sealed class GreetingActivity : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) => Task.FromResult($"Hello {input}");
}
