using Serverless.Core.Transactions;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;
using static Serverless.Tests.Transactions.FaultScenarios;

namespace Serverless.Tests.Transactions;

[Collection(DurableCollection.Name)]
public sealed class TwoPhaseCommitTests(TwoPhaseCommitTests.Fixture fixture) : IClassFixture<TwoPhaseCommitTests.Fixture>
{
    private const TransactionProtocol TwoPc = TransactionProtocol.TwoPhaseCommit;

    [Fact(Timeout = 120_000)]
    public async Task AllYesVotesCommitEverywhereAfterTheDecisionIsRecorded()
    {
        var sku = await fixture.StockAsync("happy", 10);
        var account = await fixture.AccountAsync(10_000);
        var order = TransactionFixture.Order(sku, account, quantity: 3);

        var outcome = await fixture.RunAsync(order, TwoPc);

        Assert.Equal(TransactionResult.Applied, outcome.Result);
        Assert.Equal(Decision.Commit, outcome.Decision);
        Assert.Equal(Decision.Commit, await fixture.Decisions.GetAsync(order.TransactionId, TestContext.Current.CancellationToken));
        Assert.All(outcome.Steps.Where(s => s.Operation == "Prepare"), s => Assert.Equal("Yes", s.Result));
        Assert.Equal([ParticipantState.Committed, ParticipantState.Committed, ParticipantState.Committed], await fixture.StatesAsync(order));
        Assert.Equal(7, await fixture.AvailableAsync(fixture.Participants.Inventory, sku));
        Assert.Equal(10_000 - 750, await fixture.AvailableAsync(fixture.Participants.Payments, account));
        await fixture.AssertInvariantsAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task ANoVoteForLackOfStockAbortsAndReleasesTheOtherReservations()
    {
        var sku = await fixture.StockAsync("short", 2);
        var account = await fixture.AccountAsync(10_000);
        var order = TransactionFixture.Order(sku, account, quantity: 3);

        var outcome = await fixture.RunAsync(order, TwoPc);

        Assert.Equal(TransactionResult.RolledBack, outcome.Result);
        Assert.Contains(outcome.Steps, s => s is { Participant: ParticipantName.Inventory, Operation: "Prepare", Result: "No" });
        Assert.Equal([ParticipantState.Refused, ParticipantState.Aborted, ParticipantState.Aborted], await fixture.StatesAsync(order));
        Assert.Equal(10_000, await fixture.AvailableAsync(fixture.Participants.Payments, account));
        await fixture.AssertInvariantsAsync();
    }

    public static TheoryData<ParticipantName> EachParticipant => new(Participants);

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(EachParticipant))]
    public async Task APrepareThatKeepsFailingAbortsCleanly(ParticipantName failing)
    {
        var (order, outcome) = await RunAsync(Throws(failing, "Prepare"));

        Assert.Equal(TransactionResult.RolledBack, outcome.Result);
        Assert.Equal(Decision.Abort, outcome.Decision);
        Assert.StartsWith("failed", outcome.Steps.Single(s => s.Participant == failing && s.Operation == "Prepare").Result, StringComparison.Ordinal);
        await AssertNothingAppliedAsync(order);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(EachParticipant))]
    public async Task APrepareThatTimesOutAbortsAndTheLatePrepareTakesNothing(ParticipantName slow)
    {
        var (order, outcome) = await RunAsync(Stalls(slow, "Prepare"), TransactionFixture.ShortTimeout);

        Assert.Equal(TransactionResult.RolledBack, outcome.Result);
        Assert.Equal("timed out", outcome.Steps.Single(s => s.Participant == slow && s.Operation == "Prepare").Result);

        // The stalled prepare still runs after the abort; the abort's tombstone makes it vote No and take nothing.
        await fixture.WaitForStalledCallsAsync(order, slow, "Prepare");
        Assert.Equal(ParticipantState.Aborted, (await fixture.Participants[slow].GetAsync(order, TestContext.Current.CancellationToken))!.State);
        await AssertNothingAppliedAsync(order);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(EachParticipant))]
    public async Task ACommitThatFailsIsRedeliveredUntilAcknowledged(ParticipantName flaky)
    {
        var (order, outcome) = await RunAsync(FailsFirstRound(flaky, "Commit"));

        Assert.Equal(TransactionResult.Applied, outcome.Result);
        Assert.Equal("Committed (round 2)", outcome.Steps.Single(s => s.Participant == flaky && s.Operation == "Commit").Result);
        Assert.Equal([ParticipantState.Committed, ParticipantState.Committed, ParticipantState.Committed], await fixture.StatesAsync(order));
        await fixture.AssertInvariantsAsync();
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(EachParticipant))]
    public async Task AnAbortThatFailsIsRedeliveredUntilAcknowledged(ParticipantName flaky)
    {
        var (order, outcome) = await RunAsync(AbortFlaky(flaky));

        Assert.Equal(TransactionResult.RolledBack, outcome.Result);
        Assert.EndsWith("(round 2)", outcome.Steps.Single(s => s.Participant == flaky && s.Operation == "Abort").Result, StringComparison.Ordinal);
        await AssertNothingAppliedAsync(order);
    }

    [Fact(Timeout = 120_000)]
    public async Task ACommitThatNeverSucceedsIsRecordedForAttentionAndLeftToRecovery()
    {
        var (order, outcome) = await RunAsync(Throws(ParticipantName.Payments, "Commit"));

        Assert.Equal(TransactionResult.NeedsAttention, outcome.Result);
        var item = Assert.Single(await fixture.Attention.ForAsync(order.TransactionId, TestContext.Current.CancellationToken));
        Assert.Equal((ParticipantName.Payments, "Commit"), (item.Participant, item.Operation));
        Assert.Equal([ParticipantState.Committed, ParticipantState.Prepared, ParticipantState.Committed], await fixture.StatesAsync(order));

        // The recovery job reads the recorded Commit and delivers it itself (its path has no injected fault).
        var recovered = await fixture.Recovery.RecoverAsync(fixture.Client, TimeSpan.Zero, ct: TestContext.Current.CancellationToken);
        Assert.Equal(1, recovered.Committed);
        Assert.Equal([ParticipantState.Committed, ParticipantState.Committed, ParticipantState.Committed], await fixture.StatesAsync(order));
        await fixture.AssertInvariantsAsync();
    }

    private async Task<(TransactionOrder Order, TransactionOutcome Outcome)> RunAsync(string scenario, TimeSpan? timeout = null)
    {
        var order = TransactionFixture.Order(await fixture.StockAsync(scenario, 10), await fixture.AccountAsync(10_000), quantity: 2);
        return (order, await fixture.RunAsync(order, TwoPc, timeout));
    }

    private async Task AssertNothingAppliedAsync(TransactionOrder order)
    {
        Assert.DoesNotContain(ParticipantState.Committed, await fixture.StatesAsync(order));
        Assert.DoesNotContain(ParticipantState.Prepared, await fixture.StatesAsync(order));
        Assert.Equal(10, await fixture.AvailableAsync(fixture.Participants.Inventory, order.Sku));
        Assert.Equal(10_000, await fixture.AvailableAsync(fixture.Participants.Payments, order.Account));
        await fixture.AssertInvariantsAsync();
    }

    public sealed class Fixture(ServicesFixture services) : TransactionFixture(services);
}
