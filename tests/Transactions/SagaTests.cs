using System.Text.Json;
using Serverless.Core.Transactions;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;
using static Serverless.Tests.Transactions.FaultScenarios;

namespace Serverless.Tests.Transactions;

[Collection(DurableCollection.Name)]
public sealed class SagaTests(SagaTests.Fixture fixture) : IClassFixture<SagaTests.Fixture>
{
    private const TransactionProtocol Saga = TransactionProtocol.Saga;

    public static TheoryData<ParticipantName> EachParticipant => new(Participants);

    [Fact(Timeout = 120_000)]
    public async Task ReserveChargeShipAppliesEveryStepInOrder()
    {
        var sku = await fixture.StockAsync("happy", 10);
        var account = await fixture.AccountAsync(10_000);
        var order = TransactionFixture.Order(sku, account, quantity: 4);

        var outcome = await fixture.RunAsync(order, Saga);

        Assert.Equal(TransactionResult.Applied, outcome.Result);
        Assert.Equal(
            [(ParticipantName.Inventory, "Apply"), (ParticipantName.Payments, "Apply"), (ParticipantName.Shipping, "Apply")],
            outcome.Steps.Select(s => (s.Participant, s.Operation)));
        Assert.Equal([ParticipantState.Committed, ParticipantState.Committed, ParticipantState.Committed], await fixture.StatesAsync(order));
        Assert.Equal(6, await fixture.AvailableAsync(fixture.Participants.Inventory, sku));
        Assert.Equal(9_000, await fixture.AvailableAsync(fixture.Participants.Payments, account));
        await fixture.AssertInvariantsAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task InsufficientFundsRefusesTheChargeAndReleasesTheStock()
    {
        var order = TransactionFixture.Order(await fixture.StockAsync("poor", 10), await fixture.AccountAsync(100), quantity: 1);

        var outcome = await fixture.RunAsync(order, Saga);

        Assert.Equal(TransactionResult.RolledBack, outcome.Result);
        Assert.Equal(
            ["Inventory.Apply=Applied", "Payments.Apply=Refused", "Payments.Compensate=Refused", "Inventory.Compensate=Compensated"],
            outcome.Steps.Select(s => $"{s.Participant}.{s.Operation}={s.Result}"));
        await AssertNothingAppliedAsync(order, balance: 100);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(EachParticipant))]
    public async Task AStepThatKeepsFailingCompensatesEveryEarlierStepInReverse(ParticipantName failing)
    {
        var (order, outcome) = await RunAsync(Throws(failing, "Apply"));

        Assert.Equal(TransactionResult.RolledBack, outcome.Result);
        var expected = Participants.TakeWhile(p => p != failing).Append(failing).Reverse().Select(p => $"{p}.Compensate");
        Assert.Equal(expected, outcome.Steps.Where(s => s.Operation == "Compensate").Select(s => $"{s.Participant}.{s.Operation}"));
        await AssertNothingAppliedAsync(order);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(EachParticipant))]
    public async Task AStepThatTimesOutIsCompensatedAndTheLateStepTakesNothing(ParticipantName slow)
    {
        var (order, outcome) = await RunAsync(Stalls(slow, "Apply"), TransactionFixture.ShortTimeout);

        Assert.Equal(TransactionResult.RolledBack, outcome.Result);
        Assert.Equal("timed out", outcome.Steps.Single(s => s.Participant == slow && s.Operation == "Apply").Result);

        // The stalled step runs after its compensation left a tombstone, and refuses.
        await fixture.WaitForStalledCallsAsync(order, slow, "Apply");
        Assert.Equal(ParticipantState.Compensated, (await fixture.Participants[slow].GetAsync(order, TestContext.Current.CancellationToken))!.State);
        await AssertNothingAppliedAsync(order);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(EachParticipant))]
    public async Task ACompensationThatFailsIsRetriedByThePolicy(ParticipantName flaky)
    {
        var (order, outcome) = await RunAsync(CompensationFlaky(flaky));

        Assert.Equal(TransactionResult.RolledBack, outcome.Result);
        Assert.DoesNotContain(outcome.Steps, s => s.Result.StartsWith("needs attention", StringComparison.Ordinal));
        await AssertNothingAppliedAsync(order);
    }

    [Fact(Timeout = 120_000)]
    public async Task ACompensationThatKeepsFailingIsRecordedAndQueuedForAttentionNotDropped()
    {
        var (order, outcome) = await RunAsync(CompensationStuck(ParticipantName.Payments));

        Assert.Equal(TransactionResult.NeedsAttention, outcome.Result);
        var item = Assert.Single(await fixture.Attention.ForAsync(order.TransactionId, TestContext.Current.CancellationToken));
        Assert.Equal((ParticipantName.Payments, "Compensate"), (item.Participant, item.Operation));
        Assert.Contains("Injected fault", item.Reason, StringComparison.Ordinal);
        Assert.True(await QueuedAsync(order.TransactionId), "a needs-attention message should be on the queue");

        // The other compensations still ran: the stock is back, only the charge awaits an operator.
        Assert.Equal([ParticipantState.Compensated, ParticipantState.Committed, ParticipantState.Compensated], await fixture.StatesAsync(order));
        Assert.Equal(10, await fixture.AvailableAsync(fixture.Participants.Inventory, order.Sku));
        var report = await fixture.Checker.CheckAsync(ct: TestContext.Current.CancellationToken);
        Assert.Contains(report.Violations, v => v.Contains(order.TransactionId, StringComparison.Ordinal) && v.Contains("partly applied", StringComparison.Ordinal));

        // What the operator does once the cause is fixed: run the compensation again (idempotent).
        await fixture.Participants.Payments.CompensateAsync(order, TestContext.Current.CancellationToken);
        await AssertNothingAppliedAsync(order);
    }

    private async Task<bool> QueuedAsync(string transactionId)
    {
        var messages = await fixture.Tables.AttentionQueue.PeekMessagesAsync(32, TestContext.Current.CancellationToken);
        return messages.Value.Any(m => JsonSerializer.Deserialize<AttentionItem>(m.Body.ToString())?.TransactionId == transactionId);
    }

    private async Task<(TransactionOrder Order, TransactionOutcome Outcome)> RunAsync(string scenario, TimeSpan? timeout = null)
    {
        var order = TransactionFixture.Order(await fixture.StockAsync(scenario, 10), await fixture.AccountAsync(10_000), quantity: 2);
        return (order, await fixture.RunAsync(order, Saga, timeout));
    }

    private async Task AssertNothingAppliedAsync(TransactionOrder order, long balance = 10_000)
    {
        Assert.DoesNotContain(ParticipantState.Committed, await fixture.StatesAsync(order));
        Assert.Equal(10, await fixture.AvailableAsync(fixture.Participants.Inventory, order.Sku));
        Assert.Equal(balance, await fixture.AvailableAsync(fixture.Participants.Payments, order.Account));
        await fixture.AssertInvariantsAsync();
    }

    public sealed class Fixture(ServicesFixture services) : TransactionFixture(services);
}
