using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;

namespace Serverless.Tests.Foundation.DurableSamples;

/// <summary>Adds to a counter entity and reads it back with two-way entity calls.</summary>
public sealed class CounterCallerOrchestrator : TaskOrchestrator<CounterCall, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, CounterCall input)
    {
        var counter = new EntityInstanceId(nameof(CounterEntity), input.Key);
        await context.Entities.CallEntityAsync<int>(counter, nameof(CounterEntity.Add), input.Amount);
        return await context.Entities.CallEntityAsync<int>(counter, nameof(CounterEntity.Get));
    }
}

public sealed record CounterCall(string Key, int Amount);
