using Serverless.Core.Transactions;
using Serverless.EndToEnd.Host;
using Xunit;

namespace Serverless.EndToEnd.Transactions;

/// <summary>Orders through the host's Durable extension: HTTP start, the status URL, the Idempotency-Key replay, and recovery.</summary>
public sealed class TransactionEndToEndTests(HostFixture fixture)
{
    private static readonly TimeSpan Completion = TimeSpan.FromSeconds(90);

    private TransactionParticipants Participants => fixture.Get<TransactionParticipants>();

    [Theory(Timeout = 180_000)]
    [InlineData("2pc", "Commit")]
    [InlineData("saga", null)]
    [Covers("StartTwoPhaseCommitTransaction", "StartSagaTransaction", "GetTransaction")]
    public async Task AnOrderRunsToCompletionThroughItsStatusUrlAndItsKeyReplaysTheSameInstance(string protocol, string? decision)
    {
        using var client = fixture.Client();
        var (sku, account) = (await StockAsync(5), await AccountAsync(5_000));
        var key = Guid.NewGuid().ToString();
        var order = new { sku, quantity = 2, account, shipTo = "1 Test Street" };

        var started = await Answer.SendAsync(client, HttpMethod.Post, $"transactions/{protocol}", order, Key(key));
        Assert.True(started.Status == 202, started.ToString());
        var id = started.Json.GetProperty("id").GetString()!;
        var location = started.Headers.Location!.ToString();
        Assert.Equal($"/api/transactions/{id}", location);

        var done = await Eventually.GetAsync(() => Answer.SendAsync(client, HttpMethod.Get, location.Replace("/api/", "", StringComparison.Ordinal)),
            a => a.Status == 200 && a.Json.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed" or "Terminated", Completion, $"{protocol} order {id} completes");
        Assert.Equal("Completed", done.Json.GetProperty("runtimeStatus").GetString());
        Assert.Equal("Applied", done.Json.GetProperty("outcome").GetProperty("result").GetString());
        Assert.Equal(decision, done.Json.GetProperty("decision").GetString());
        Assert.Equal(3, (await Participants.Inventory.GetResourceAsync(sku, TestContext.Current.CancellationToken))!.Available);

        var replay = await Answer.SendAsync(client, HttpMethod.Post, $"transactions/{protocol}", order, Key(key));
        Assert.True(replay.Status == 202, replay.ToString());
        Assert.Equal(id, replay.Json.GetProperty("id").GetString());
        Assert.False(replay.Json.GetProperty("started").GetBoolean());
        Assert.Equal(3, (await Participants.Inventory.GetResourceAsync(sku, TestContext.Current.CancellationToken))!.Available);
    }

    /// <summary>As a coordinator that died after phase 1 leaves it: reservations everywhere and no decision.</summary>
    [Fact(Timeout = 180_000)]
    [Covers("RecoverTransactions")]
    public async Task TheRecoveryTimerAbortsReservationsWhoseCoordinatorIsGone()
    {
        fixture.AssertIndexed("RecoverTransactions");
        var (sku, account) = (await StockAsync(10), await AccountAsync(10_000));
        var order = new TransactionOrder($"txn-{Guid.NewGuid():N}", sku, 2, account, 500, "1 Test Street");
        foreach (var participant in Participants.All)
        {
            Assert.Equal(Vote.Yes, await participant.PrepareAsync(order, TestContext.Current.CancellationToken));
        }

        await Eventually.GetAsync(async () => await fixture.Get<DecisionLog>().GetAsync(order.TransactionId, TestContext.Current.CancellationToken),
            d => d == Decision.Abort, Completion, "recovery records Abort for the orphaned transaction");
        await Eventually.GetAsync(async () => (await Participants.Inventory.GetResourceAsync(sku, TestContext.Current.CancellationToken))!.Available, a => a == 10, Completion, "the reserved stock is released");
    }

    private async Task<string> StockAsync(long stock)
    {
        var sku = $"e2e-{Guid.NewGuid():N}"[..20];
        await Participants.Inventory.ProvisionAsync(sku, stock, unitPrice: 250, TestContext.Current.CancellationToken);
        return sku;
    }

    private async Task<string> AccountAsync(long cents)
    {
        var account = $"acct-{Guid.NewGuid():N}"[..17];
        await Participants.Payments.ProvisionAsync(account, cents, ct: TestContext.Current.CancellationToken);
        return account;
    }

    private static Dictionary<string, string> Key(string key) => new() { ["Idempotency-Key"] = key };
}
