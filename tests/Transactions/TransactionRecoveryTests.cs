using Serverless.Core.Transactions;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;
using static Serverless.Tests.Transactions.FaultScenarios;

namespace Serverless.Tests.Transactions;

[Collection(DurableCollection.Name)]
public sealed class TransactionRecoveryTests(TransactionRecoveryTests.Fixture fixture) : IClassFixture<TransactionRecoveryTests.Fixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task AReservationWhoseCoordinatorIsGoneIsAbortedAndTheAbortIsRecorded()
    {
        var order = await PreparedEverywhereAsync("orphan");

        var report = await fixture.Recovery.RecoverAsync(fixture.Client, TimeSpan.Zero, ct: Ct);

        Assert.Equal(3, report.Aborted);
        Assert.Equal(Decision.Abort, await fixture.Decisions.GetAsync(order.TransactionId, Ct));
        Assert.Equal([ParticipantState.Aborted, ParticipantState.Aborted, ParticipantState.Aborted], await fixture.StatesAsync(order));
        Assert.Equal(10, await fixture.AvailableAsync(fixture.Participants.Inventory, order.Sku));
        await fixture.AssertInvariantsAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task AReservationWithARecordedCommitIsCommitted()
    {
        var order = await PreparedEverywhereAsync("decided");
        await fixture.Decisions.RecordAsync(order.TransactionId, Decision.Commit, "coordinator", Ct);

        var report = await fixture.Recovery.RecoverAsync(fixture.Client, TimeSpan.Zero, ct: Ct);

        Assert.Equal(3, report.Committed);
        Assert.Equal([ParticipantState.Committed, ParticipantState.Committed, ParticipantState.Committed], await fixture.StatesAsync(order));
        await fixture.AssertInvariantsAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task AReservationYoungerThanTheBoundIsNotTouched()
    {
        var order = await PreparedEverywhereAsync("young");

        var report = await fixture.Recovery.RecoverAsync(fixture.Client, TimeSpan.FromMinutes(5), ct: Ct);

        Assert.DoesNotContain(await fixture.StatesAsync(order), s => s != ParticipantState.Prepared);
        Assert.Equal(0, report.Examined);
        await fixture.Recovery.RecoverAsync(fixture.Client, TimeSpan.Zero, ct: Ct);
    }

    [Fact(Timeout = 120_000)]
    public async Task AnUndecidedReservationOfARunningCoordinatorIsLeftToIt()
    {
        var (order, id) = await StartWithSlowShippingAsync("patient");

        var report = await fixture.Recovery.RecoverAsync(fixture.Client, TimeSpan.Zero, forceAfter: TimeSpan.FromHours(1), ct: Ct);
        var outcome = await fixture.OutcomeAsync(id);

        Assert.Equal(2, report.LeftToCoordinator);
        Assert.Equal(TransactionResult.Applied, outcome.Result);
        Assert.Equal(Decision.Commit, await fixture.Decisions.GetAsync(order.TransactionId, Ct));
        await fixture.AssertInvariantsAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task WhenRecoveryRecordsAbortFirstTheCoordinatorFollowsItDespiteAllYesVotes()
    {
        var (order, id) = await StartWithSlowShippingAsync("forced");

        var report = await fixture.Recovery.RecoverAsync(fixture.Client, TimeSpan.Zero, forceAfter: TimeSpan.Zero, ct: Ct);
        var outcome = await fixture.OutcomeAsync(id);

        Assert.Equal(2, report.Aborted);
        Assert.All(outcome.Steps.Where(s => s.Operation == "Prepare"), s => Assert.Equal("Yes", s.Result));
        Assert.Equal(TransactionResult.RolledBack, outcome.Result);
        Assert.Contains("recovery job recorded Abort", outcome.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(ParticipantState.Committed, await fixture.StatesAsync(order));
        await fixture.AssertInvariantsAsync();
    }

    private async Task<TransactionOrder> PreparedEverywhereAsync(string scenario)
    {
        // As a coordinator that died after phase 1 would leave it: reservations everywhere, no decision.
        var order = TransactionFixture.Order(await fixture.StockAsync(scenario, 10), await fixture.AccountAsync(10_000), quantity: 2);
        foreach (var participant in fixture.Participants.All)
        {
            Assert.Equal(Vote.Yes, await participant.PrepareAsync(order, Ct));
        }

        return order;
    }

    // Shipping's prepare stalls 6 s; the coordinator's prepare timeout is raised to 30 s so it waits and then commits.
    private async Task<(TransactionOrder Order, string Id)> StartWithSlowShippingAsync(string scenario)
    {
        var order = TransactionFixture.Order(
            await fixture.StockAsync($"{Stalls(ParticipantName.Shipping, "Prepare")}-{scenario}", 10), await fixture.AccountAsync(10_000));
        var input = fixture.Input(order, TransactionProtocol.TwoPhaseCommit) with { Timeout = TimeSpan.FromSeconds(30) };
        var id = (await fixture.Starter.ScheduleAsync(fixture.Client, input, Ct)).InstanceId!;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TransactionFixture.Patience);
        while ((await fixture.StatesAsync(order)).Count(s => s == ParticipantState.Prepared) < 2)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
        }

        return (order, id);
    }

    public sealed class Fixture(ServicesFixture services) : TransactionFixture(services);
}
