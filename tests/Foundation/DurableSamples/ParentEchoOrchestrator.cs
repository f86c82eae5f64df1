using Microsoft.DurableTask;

namespace Serverless.Tests.Foundation.DurableSamples;

/// <summary>A sub-orchestration that reports who started it (context.Parent is set only when the shim gets the parent).</summary>
public sealed class ParentEchoOrchestrator : TaskOrchestrator<string, string>
{
    public override Task<string> RunAsync(TaskOrchestrationContext context, string input) =>
        Task.FromResult($"{input} from {context.Parent?.Name.Name ?? "nobody"}/{context.Parent?.InstanceId ?? "none"}");
}
