using Microsoft.Extensions.DependencyInjection;
using Serverless.Core.Transactions;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;
using static Serverless.Tests.Transactions.FaultScenarios;

namespace Serverless.Tests.Transactions;

/// <summary>
/// Activities called directly several times, as a duplicate delivery would. These leave single-participant entries
/// behind on purpose, so they have their own stores: the invariant checks of whole orders elsewhere must not see them.
/// </summary>
[Collection(DurableCollection.Name)]
public sealed class DuplicateDeliveryTests(DuplicateDeliveryTests.Fixture fixture) : IClassFixture<DuplicateDeliveryTests.Fixture>
{
    [Fact(Timeout = 60_000)]
    public async Task DuplicateDeliveriesOfSagaStepsAndCompensationsApplyOnce()
    {
        var order = await OrderAsync("dupsaga");
        var step = ActivatorUtilities.CreateInstance<SagaStepActivity>(fixture.Services);
        var compensation = ActivatorUtilities.CreateInstance<SagaCompensationActivity>(fixture.Services);
        var charge = new ParticipantCall(ParticipantName.Payments, order);

        var charged = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => step.ExecuteAsync(charge)));
        var balanceAfterCharges = await fixture.AvailableAsync(fixture.Participants.Payments, order.Account);
        var refunded = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => compensation.ExecuteAsync(charge)));
        var chargedAgain = await step.ExecuteAsync(charge);

        Assert.All(charged, r => Assert.Equal(StepResult.Applied, r));
        Assert.Equal(10_000 - 500, balanceAfterCharges);
        Assert.All(refunded, r => Assert.Equal(ParticipantState.Compensated, r));
        Assert.Equal(StepResult.Refused, chargedAgain);
        Assert.Equal(10_000, await fixture.AvailableAsync(fixture.Participants.Payments, order.Account));
    }

    [Fact(Timeout = 60_000)]
    public async Task DuplicateDeliveriesOfPrepareAndCommitReserveAndCommitOnce()
    {
        var order = await OrderAsync("dup2pc");
        var prepare = ActivatorUtilities.CreateInstance<ParticipantPrepareActivity>(fixture.Services);
        var commit = ActivatorUtilities.CreateInstance<ParticipantCommitActivity>(fixture.Services);
        var abort = ActivatorUtilities.CreateInstance<ParticipantAbortActivity>(fixture.Services);
        var stock = new ParticipantCall(ParticipantName.Inventory, order);

        var votes = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => prepare.ExecuteAsync(stock)));
        var commits = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => commit.ExecuteAsync(stock)));
        var lateAbort = await abort.ExecuteAsync(stock);

        Assert.All(votes, v => Assert.Equal(Vote.Yes, v));
        Assert.All(commits, c => Assert.Equal(ParticipantState.Committed, c));
        Assert.Equal(ParticipantState.Committed, lateAbort);
        Assert.Equal(8, await fixture.AvailableAsync(fixture.Participants.Inventory, order.Sku));
    }

    private async Task<TransactionOrder> OrderAsync(string scenario) =>
        TransactionFixture.Order(await fixture.StockAsync(scenario, 10), await fixture.AccountAsync(10_000), quantity: 2);

    public sealed class Fixture(ServicesFixture services) : TransactionFixture(services);
}
