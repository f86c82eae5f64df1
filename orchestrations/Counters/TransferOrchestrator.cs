using Microsoft.DurableTask;

namespace Serverless.Orchestrations.Counters;

/// <summary>Input of <see cref="TransferOrchestrator"/>: move <paramref name="Amount"/> between two account counters.</summary>
/// <param name="From">Account debited.</param>
/// <param name="To">Account credited.</param>
/// <param name="Amount">A positive amount.</param>
public sealed record Transfer(string From, string To, long Amount);

/// <summary>The result of a transfer and both balances as the critical section saw them at its end.</summary>
/// <param name="Succeeded">False when the source held less than the amount (nothing moved).</param>
/// <param name="FromBalance">Source balance.</param>
/// <param name="ToBalance">Destination balance.</param>
public sealed record TransferResult(bool Succeeded, long FromBalance, long ToBalance);

/// <summary>
/// Moves an amount between two <see cref="CounterEntity"/> accounts inside one critical section
/// (<c>LockEntitiesAsync</c>): no other orchestration or signal touches either account between the balance check
/// and both writes, so the total is kept and the source never goes negative. Locks are always requested in one fixed
/// order (by entity id), so two transfers in opposite directions cannot deadlock.
/// </summary>
public sealed class TransferOrchestrator : TaskOrchestrator<Transfer, TransferResult>
{
    /// <inheritdoc />
    public override async Task<TransferResult> RunAsync(TaskOrchestrationContext context, Transfer input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        if (input.Amount <= 0 || input.From == input.To)
        {
            throw new ArgumentException("A transfer moves a positive amount between two different accounts.", nameof(input));
        }

        var from = CounterEntity.IdFor(input.From);
        var to = CounterEntity.IdFor(input.To);
        var ordered = new[] { from, to }.OrderBy(id => id.ToString(), StringComparer.Ordinal).ToArray();
        await using (await context.Entities.LockEntitiesAsync(ordered))
        {
            var balance = await context.Entities.CallEntityAsync<long>(from, nameof(CounterEntity.Get));
            if (balance < input.Amount)
            {
                return new TransferResult(false, balance, await context.Entities.CallEntityAsync<long>(to, nameof(CounterEntity.Get)));
            }

            var fromBalance = await context.Entities.CallEntityAsync<long>(from, nameof(CounterEntity.Add), -input.Amount);
            var toBalance = await context.Entities.CallEntityAsync<long>(to, nameof(CounterEntity.Add), input.Amount);
            return new TransferResult(true, fromBalance, toBalance);
        }
    }
}
