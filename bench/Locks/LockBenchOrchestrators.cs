using Microsoft.DurableTask;
using Serverless.Orchestrations.Counters;
using Serverless.Orchestrations.Locks;

namespace Serverless.Bench.Locks;

/// <summary>Input of the benchmark loops: which entity, how many rounds.</summary>
public sealed record BenchLoop(string Name, int Rounds);

/// <summary>Acquire + release of one entity lock, back to back, inside one orchestration (how orchestrations use it).</summary>
public sealed class LockPairsOrchestrator : TaskOrchestrator<BenchLoop, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, BenchLoop input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        for (var i = 0; i < input.Rounds; i++)
        {
            var grant = await context.AcquireLockAsync(input.Name, context.InstanceId, TimeSpan.FromSeconds(30), TimeSpan.Zero);
            await context.ReleaseLockAsync(input.Name, grant);
        }

        return input.Rounds;
    }
}

/// <summary>Two-way counter adds (call and wait for the answer), back to back, inside one orchestration.</summary>
public sealed class CounterCallsOrchestrator : TaskOrchestrator<BenchLoop, long>
{
    public override async Task<long> RunAsync(TaskOrchestrationContext context, BenchLoop input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var last = 0L;
        for (var i = 0; i < input.Rounds; i++)
        {
            last = await context.Entities.CallEntityAsync<long>(CounterEntity.IdFor(input.Name), nameof(CounterEntity.Add), 1L);
        }

        return last;
    }
}
