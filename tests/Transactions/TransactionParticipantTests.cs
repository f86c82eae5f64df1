using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Core.Transactions;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Transactions;

/// <summary>The participants and the invariant checker on their own, against Azurite (no orchestration).</summary>
public sealed class TransactionParticipantTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task PreparingTwiceReturnsTheSameVoteAndReservesOnce()
    {
        using var app = await StartAsync();
        var (participants, order) = await OrderAsync(app, stock: 5, quantity: 2);

        var first = await participants.Inventory.PrepareAsync(order, Ct);
        var second = await participants.Inventory.PrepareAsync(order, Ct);

        Assert.Equal((Vote.Yes, Vote.Yes), (first, second));
        Assert.Equal(3, (await participants.Inventory.GetResourceAsync(order.Sku, Ct))!.Available);
    }

    [Fact(Timeout = 30_000)]
    public async Task ANoVoteIsRememberedEvenAfterStockArrives()
    {
        using var app = await StartAsync();
        var (participants, order) = await OrderAsync(app, stock: 1, quantity: 2);

        var first = await participants.Inventory.PrepareAsync(order, Ct);
        await participants.Inventory.ProvisionAsync(order.Sku, 10, 250, Ct);
        var second = await participants.Inventory.PrepareAsync(order, Ct);

        Assert.Equal((Vote.No, Vote.No), (first, second));
        Assert.Equal(11, (await participants.Inventory.GetResourceAsync(order.Sku, Ct))!.Available);
    }

    [Fact(Timeout = 30_000)]
    public async Task AnAbortBeforeThePrepareLeavesATombstoneSoTheLatePrepareTakesNothing()
    {
        using var app = await StartAsync();
        var (participants, order) = await OrderAsync(app, stock: 5, quantity: 2);

        var aborted = await participants.Payments.AbortAsync(order, Ct);
        var latePrepare = await participants.Payments.PrepareAsync(order, Ct);

        Assert.Equal(ParticipantState.Aborted, aborted);
        Assert.Equal(Vote.No, latePrepare);
        Assert.Equal(10_000, (await participants.Payments.GetResourceAsync(order.Account, Ct))!.Available);
    }

    [Fact(Timeout = 30_000)]
    public async Task ACommittedEntryCannotBeAbortedAndAnAbortedOneCannotBeCommitted()
    {
        using var app = await StartAsync();
        var (participants, committed) = await OrderAsync(app, stock: 5, quantity: 1);
        var aborted = committed with { TransactionId = $"txn-{Guid.NewGuid():N}" };
        await participants.Inventory.PrepareAsync(committed, Ct);
        await participants.Inventory.CommitAsync(committed, Ct);
        await participants.Inventory.PrepareAsync(aborted, Ct);
        await participants.Inventory.AbortAsync(aborted, Ct);

        Assert.Equal(ParticipantState.Committed, await participants.Inventory.AbortAsync(committed, Ct));
        Assert.Equal(ParticipantState.Aborted, await participants.Inventory.CommitAsync(aborted, Ct));
        Assert.Equal(4, (await participants.Inventory.GetResourceAsync(committed.Sku, Ct))!.Available);
    }

    [Fact(Timeout = 60_000)]
    public async Task ConcurrentPreparesOnOneSkuNeverOversell()
    {
        using var app = await StartAsync();
        var (participants, order) = await OrderAsync(app, stock: 10, quantity: 1);
        var orders = Enumerable.Range(0, 30).Select(_ => order with { TransactionId = $"txn-{Guid.NewGuid():N}" }).ToList();

        var votes = await Task.WhenAll(orders.Select(o => participants.Inventory.PrepareAsync(o, Ct)));

        Assert.Equal(10, votes.Count(v => v == Vote.Yes));
        Assert.Equal(0, (await participants.Inventory.GetResourceAsync(order.Sku, Ct))!.Available);
    }

    [Fact(Timeout = 30_000)]
    public async Task TheCheckerFindsNegativeStockLostUnitsPartialOrdersAndPendingReservations()
    {
        using var app = await StartAsync();
        var (participants, order) = await OrderAsync(app, stock: 5, quantity: 1);
        await participants.Inventory.ApplyAsync(order, Ct);
        var pending = order with { TransactionId = $"txn-{Guid.NewGuid():N}" };
        await participants.Payments.PrepareAsync(pending, Ct);
        var tables = app.Services.GetRequiredService<TransactionTables>();
        await tables.Inventory.UpsertEntityAsync(new TableEntity("broken-sku", "resource") { ["Available"] = -1L, ["Provisioned"] = 3L, ["UnitPrice"] = 1L }, cancellationToken: Ct);

        var report = await app.Services.GetRequiredService<InvariantChecker>().CheckAsync(ct: Ct);

        Assert.Contains(report.Violations, v => v.Contains("'broken-sku' is negative", StringComparison.Ordinal));
        Assert.Contains(report.Violations, v => v.Contains("'broken-sku' is not conserved", StringComparison.Ordinal));
        Assert.Contains(report.Violations, v => v.Contains($"{order.TransactionId} is partly applied", StringComparison.Ordinal));
        Assert.Contains(report.Violations, v => v.Contains($"reservation for {pending.TransactionId} is still prepared", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task AFaultRuleForAnUnknownStepStopsTheAppAtStartUp()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => services.StartAppAsync(new Dictionary<string, string?>
        {
            ["Transactions:Faults:Rules:0:Step"] = "Warehouse.Prepare",
        }));

        Assert.Contains("Transactions:Faults:Rules:0", failure.Message, StringComparison.Ordinal);
    }

    private Task<IHost> StartAsync() =>
        services.StartAppAsync(new Dictionary<string, string?> { ["Transactions:TablePrefix"] = "p" + Guid.NewGuid().ToString("N")[..10] });

    private static async Task<(TransactionParticipants Participants, TransactionOrder Order)> OrderAsync(IHost app, long stock, int quantity)
    {
        var participants = app.Services.GetRequiredService<TransactionParticipants>();
        var order = TransactionFixture.Order($"sku-{Guid.NewGuid():N}", $"acct-{Guid.NewGuid():N}", quantity);
        await participants.Inventory.ProvisionAsync(order.Sku, stock, 250, Ct);
        await participants.Payments.ProvisionAsync(order.Account, 10_000, ct: Ct);
        return (participants, order);
    }
}
