using Microsoft.DurableTask;

namespace Serverless.Orchestrations.Counters;

/// <summary>Input of <see cref="StockTakeOrchestrator"/>.</summary>
/// <param name="Stock">The bounded counter.</param>
/// <param name="Amount">How many to take.</param>
public sealed record StockTake(string Stock, long Amount);

/// <summary>Takes from a <see cref="BoundedCounterEntity"/> and returns whether it got the whole amount (a reservation step).</summary>
public sealed class StockTakeOrchestrator : TaskOrchestrator<StockTake, TakeResult>
{
    /// <inheritdoc />
    public override Task<TakeResult> RunAsync(TaskOrchestrationContext context, StockTake input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        return context.Entities.CallEntityAsync<TakeResult>(BoundedCounterEntity.IdFor(input.Stock), nameof(BoundedCounterEntity.Take), input.Amount);
    }
}
