using Microsoft.DurableTask.Client;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;

namespace Serverless.Tests.Transactions;

[Collection(DurableCollection.Name)]
public sealed class TransactionConcurrencyTests(TransactionConcurrencyTests.Fixture fixture) : IClassFixture<TransactionConcurrencyTests.Fixture>
{
    [Fact(Timeout = 120_000)]
    public async Task FiftyConcurrentOrdersForTwentyUnitsNeverOversellAndEveryOutcomeMatchesTheStores()
    {
        var sku = await fixture.StockAsync("limited", 20);
        var accounts = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => fixture.AccountAsync(100_000)));
        var prefix = $"txn-{Guid.NewGuid():N}"[..16];
        var orders = Enumerable.Range(0, 50)
            .Select(i => (Order: TransactionFixture.Order(sku, accounts[i % accounts.Length], 1, $"{prefix}-{i:D2}"),
                Protocol: i % 2 == 0 ? TransactionProtocol.TwoPhaseCommit : TransactionProtocol.Saga))
            .ToList();

        await Task.WhenAll(orders.Select(o => fixture.StartAsync(o.Order, o.Protocol)));
        var finished = await DurableBatches.WaitForAllAsync(() => fixture.Client, prefix, orders.Count, TimeSpan.FromSeconds(100), TimeSpan.FromMilliseconds(500));

        Assert.All(finished, f => Assert.Equal(OrchestrationRuntimeStatus.Completed, f.RuntimeStatus));
        var outcomes = finished.ToDictionary(f => f.InstanceId, f => f.ReadOutputAs<TransactionOutcome>()!);
        Assert.DoesNotContain(outcomes.Values, o => o.Result == TransactionResult.NeedsAttention);
        Assert.Equal(20, outcomes.Values.Count(o => o.Result == TransactionResult.Applied));
        Assert.Equal(0, await fixture.AvailableAsync(fixture.Participants.Inventory, sku));
        var report = await fixture.AssertInvariantsAsync(outcomes.ToDictionary(o => o.Key, o => o.Value.Result == TransactionResult.Applied));
        Assert.Equal(20, report.FullyApplied);
        Assert.Equal(30, report.NotApplied);
    }

    public sealed class Fixture(ServicesFixture services) : TransactionFixture(services);
}
