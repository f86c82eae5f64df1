using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Serverless.Orchestrations.Counters;

namespace Serverless.Functions.Counters;

/// <summary>Durable wrappers of the counters, the bounded counter and their orchestrations.</summary>
public static class CounterDurableFunctions
{
    [Function(nameof(CounterEntity))]
    public static Task CounterEntity([EntityTrigger] TaskEntityDispatcher dispatcher) => dispatcher.DispatchAsync<CounterEntity>();

    [Function(nameof(BoundedCounterEntity))]
    public static Task BoundedCounterEntity([EntityTrigger] TaskEntityDispatcher dispatcher) => dispatcher.DispatchAsync<BoundedCounterEntity>();

    [Function(nameof(TransferOrchestrator))]
    public static Task<TransferResult> TransferOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context, Transfer input) =>
        new TransferOrchestrator().RunAsync(context, input);

    [Function(nameof(StockTakeOrchestrator))]
    public static Task<TakeResult> StockTakeOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context, StockTake input) =>
        new StockTakeOrchestrator().RunAsync(context, input);
}
