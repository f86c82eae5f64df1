using Microsoft.DurableTask.Client;
using Serverless.Core.Transactions;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;
using static Serverless.Tests.Transactions.FaultScenarios;

namespace Serverless.Tests.Transactions;

/// <summary>The worker dies at a protocol point; a new worker on the same task hub finishes with the invariants intact.</summary>
[Collection(DurableCollection.Name)]
public sealed class TransactionCrashTests(TransactionCrashTests.Fixture fixture) : IClassFixture<TransactionCrashTests.Fixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 150_000)]
    public async Task ACrashRightAfterThePreparesLandedStillCommitsOnceOnTheNewWorker()
    {
        var order = await OrderAsync(PreparedThenSlowCommit);
        var id = await StartTwoPhaseCommitAsync(order);

        // Every participant has its reservation; the votes, the decision or the (slow) commits are in flight.
        await WaitUntilAllPreparedAsync(order, id);
        await fixture.RestartWorkerAsync();
        var outcome = await fixture.OutcomeAsync(id);

        Assert.Equal(TransactionResult.Applied, outcome.Result);
        await AssertTakenOnceAsync(order);
    }

    [Fact(Timeout = 150_000)]
    public async Task ACrashMidCommitFinishesTheCommitOnTheNewWorker()
    {
        var order = await OrderAsync(Lingers("Commit"));
        var id = await StartTwoPhaseCommitAsync(order);

        await fixture.Client.WaitUntilAsync(id, m => m.ReadCustomStatusAs<string>() == TransactionPhase.Committing, "to commit", TransactionFixture.Patience, Ct);
        await fixture.RestartWorkerAsync();
        var outcome = await fixture.OutcomeAsync(id);

        Assert.Equal(TransactionResult.Applied, outcome.Result);
        await AssertTakenOnceAsync(order);
    }

    [Fact(Timeout = 150_000)]
    public async Task ACrashMidCompensationFinishesTheRollbackOnTheNewWorker()
    {
        var order = await OrderAsync(CompensationLingers);
        var id = await fixture.StartAsync(order, TransactionProtocol.Saga);

        await fixture.Client.WaitUntilAsync(id, m => m.ReadCustomStatusAs<string>() == TransactionPhase.Compensating, "to compensate", TransactionFixture.Patience, Ct);
        await fixture.RestartWorkerAsync();
        var outcome = await fixture.OutcomeAsync(id);

        Assert.Equal(TransactionResult.RolledBack, outcome.Result);
        Assert.DoesNotContain(ParticipantState.Committed, await fixture.StatesAsync(order));
        Assert.Equal(10, await fixture.AvailableAsync(fixture.Participants.Inventory, order.Sku));
        Assert.Equal(10_000, await fixture.AvailableAsync(fixture.Participants.Payments, order.Account));
        await fixture.AssertInvariantsAsync();
    }

    // A prepare timeout well past the worker take-over, so the crash (not the timer) is what the test exercises;
    // with a short timeout the votes can arrive after the timer and the transaction aborts, also consistently.
    private async Task<string> StartTwoPhaseCommitAsync(TransactionOrder order)
    {
        var input = fixture.Input(order, TransactionProtocol.TwoPhaseCommit) with { Timeout = TimeSpan.FromSeconds(30) };
        return (await fixture.Starter.ScheduleAsync(fixture.Client, input, Ct)).InstanceId!;
    }

    private async Task<TransactionOrder> OrderAsync(string scenario) =>
        TransactionFixture.Order(await fixture.StockAsync(scenario, 10), await fixture.AccountAsync(10_000), quantity: 2);

    private async Task AssertTakenOnceAsync(TransactionOrder order)
    {
        Assert.Equal([ParticipantState.Committed, ParticipantState.Committed, ParticipantState.Committed], await fixture.StatesAsync(order));
        Assert.Equal(8, await fixture.AvailableAsync(fixture.Participants.Inventory, order.Sku));
        Assert.Equal(10_000 - 500, await fixture.AvailableAsync(fixture.Participants.Payments, order.Account));
        await fixture.AssertInvariantsAsync();
    }

    private async Task WaitUntilAllPreparedAsync(TransactionOrder order, string id)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TransactionFixture.Patience);
        var states = await fixture.StatesAsync(order);
        while (!states.All(s => s == ParticipantState.Prepared))
        {
            if (deadline.IsCancellationRequested)
            {
                var instance = await fixture.Client.GetInstanceAsync(id, Ct);
                Assert.Fail($"Not all prepared within {TransactionFixture.Patience}: {string.Join(", ", states)}; instance {instance?.RuntimeStatus} {instance?.SerializedCustomStatus}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), Ct);
            states = await fixture.StatesAsync(order);
        }
    }

    public sealed class Fixture(ServicesFixture services) : TransactionFixture(services);
}
