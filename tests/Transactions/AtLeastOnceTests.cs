using Microsoft.Extensions.DependencyInjection;
using Serverless.Core.Transactions;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;
using static Serverless.Tests.Transactions.FaultScenarios;

namespace Serverless.Tests.Transactions;

/// <summary>Activities run at least once: a duplicate delivery must never charge or take stock twice.</summary>
[Collection(DurableCollection.Name)]
public sealed class AtLeastOnceTests(AtLeastOnceTests.Fixture fixture) : IClassFixture<AtLeastOnceTests.Fixture>
{
    [Fact(Timeout = 60_000)]
    public async Task AChargeWhoseAcknowledgementIsLostIsRetriedWithoutChargingTwice()
    {
        var order = await OrderAsync(LosesFirstAck(ParticipantName.Payments, "Apply"));

        var outcome = await fixture.RunAsync(order, TransactionProtocol.Saga);

        Assert.Equal(TransactionResult.Applied, outcome.Result);
        Assert.Equal(10_000 - 500, await fixture.AvailableAsync(fixture.Participants.Payments, order.Account));
        await fixture.AssertInvariantsAsync();
    }

    [Fact(Timeout = 60_000)]
    public async Task APrepareWhoseAcknowledgementIsLostVotesAgainWithoutReservingTwice()
    {
        var order = await OrderAsync(LosesFirstAck(ParticipantName.Payments, "Prepare"));

        var outcome = await fixture.RunAsync(order, TransactionProtocol.TwoPhaseCommit);

        Assert.Equal(TransactionResult.Applied, outcome.Result);
        Assert.Equal(10_000 - 500, await fixture.AvailableAsync(fixture.Participants.Payments, order.Account));
        await fixture.AssertInvariantsAsync();
    }

    private async Task<TransactionOrder> OrderAsync(string scenario) =>
        TransactionFixture.Order(await fixture.StockAsync(scenario, 10), await fixture.AccountAsync(10_000), quantity: 2);

    public sealed class Fixture(ServicesFixture services) : TransactionFixture(services);
}
