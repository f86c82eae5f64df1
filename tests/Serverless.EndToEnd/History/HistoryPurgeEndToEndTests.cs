using Serverless.Core.Transactions;
using Serverless.EndToEnd.Host;
using Xunit;

namespace Serverless.EndToEnd.History;

/// <summary>The purge timer under the host: a finished order's history goes once it is older than History:Retention.</summary>
public sealed class HistoryPurgeEndToEndTests(HostFixture fixture)
{
    private static readonly TimeSpan Completion = TimeSpan.FromSeconds(90);

    [Fact(Timeout = 240_000)]
    [Covers("PurgeHistory")]
    public async Task AFinishedOrderDisappearsFromItsStatusUrlAfterTheRetention()
    {
        fixture.AssertIndexed("PurgeHistory");
        var ct = TestContext.Current.CancellationToken;
        var participants = fixture.Get<TransactionParticipants>();
        var sku = $"e2e-{Guid.NewGuid():N}"[..20];
        var account = $"acct-{Guid.NewGuid():N}"[..17];
        await participants.Inventory.ProvisionAsync(sku, 5, unitPrice: 250, ct);
        await participants.Payments.ProvisionAsync(account, 5_000, ct: ct);
        using var client = fixture.Client();

        var started = await Answer.SendAsync(client, HttpMethod.Post, "transactions/saga", new { sku, quantity = 1, account, shipTo = "1 Test Street" },
            new Dictionary<string, string> { ["Idempotency-Key"] = Guid.NewGuid().ToString() });
        Assert.True(started.Status == 202, started.ToString());
        var status = $"transactions/{started.Json.GetProperty("id").GetString()}";
        await Eventually.GetAsync(() => Answer.SendAsync(client, HttpMethod.Get, status),
            a => a.Status == 200 && a.Json.GetProperty("runtimeStatus").GetString() == "Completed", Completion, "the saga order completes");

        await Eventually.GetAsync(() => Answer.SendAsync(client, HttpMethod.Get, status),
            a => a.Status == 404, HostFixture.HistoryRetention + Completion, "the purge timer deletes the finished order's history");
    }
}
