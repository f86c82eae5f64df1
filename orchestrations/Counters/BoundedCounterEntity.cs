using Microsoft.DurableTask.Entities;

namespace Serverless.Orchestrations.Counters;

/// <summary>The answer of <see cref="BoundedCounterEntity.Take"/>.</summary>
/// <param name="Taken">Whether the whole amount was taken (never part of it).</param>
/// <param name="Remaining">What is left afterwards.</param>
public sealed record TakeResult(bool Taken, long Remaining);

/// <summary>
/// A counter that never goes below zero: <see cref="Take"/> takes N only if at least N remain. Used for stock, where
/// selling the last item twice is the bug to rule out.
/// </summary>
public sealed class BoundedCounterEntity : TaskEntity<long>
{
    /// <summary>The entity id of the bounded counter named <paramref name="name"/>.</summary>
    public static EntityInstanceId IdFor(string name) => new(nameof(BoundedCounterEntity), name);

    /// <summary>Adds <paramref name="amount"/> (restock) and returns the new value.</summary>
    public long Add(long amount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        return State = checked(State + amount);
    }

    /// <summary>Takes <paramref name="amount"/> if that many remain; otherwise takes nothing.</summary>
    public TakeResult Take(long amount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        if (State < amount)
        {
            return new TakeResult(false, State);
        }

        State -= amount;
        return new TakeResult(true, State);
    }

    /// <summary>What remains.</summary>
    public long Get() => State;

    /// <inheritdoc />
    protected override bool AllowStateDispatch => false;
}
