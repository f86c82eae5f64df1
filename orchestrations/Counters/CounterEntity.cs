using Microsoft.DurableTask.Entities;

namespace Serverless.Orchestrations.Counters;

/// <summary>
/// A counter (one entity per name). Operations on one entity run one at a time, so concurrent adds never lose an
/// update; the transfer example uses two of them as account balances.
/// </summary>
public sealed class CounterEntity : TaskEntity<long>
{
    /// <summary>The entity id of the counter named <paramref name="name"/>.</summary>
    public static EntityInstanceId IdFor(string name) => new(nameof(CounterEntity), name);

    /// <summary>Adds <paramref name="amount"/> (negative subtracts) and returns the new value.</summary>
    public long Add(long amount) => State = checked(State + amount);

    /// <summary>The current value.</summary>
    public long Get() => State;

    /// <summary>Sets the value back to zero (the entity stays, so it still reads as existing).</summary>
    public void Reset() => State = 0;

    /// <inheritdoc />
    protected override bool AllowStateDispatch => false;
}
