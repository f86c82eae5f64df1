using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Messaging;
using Serverless.Core.Storage;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Messaging;

/// <summary>Messaging:InboxRetention against a real inbox table, on a fake clock that jumps days ahead.</summary>
public sealed class InboxRetentionTests(ServicesFixture services)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task CompletedWorkAndAbandonedClaimsPastRetentionAreDeletedAndRecentWorkIsKept()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = await MessagingApp.StartAsync(services, clock);
        var inbox = app.Get<Inbox>();
        await CompleteAsync(inbox, "old-done");
        Assert.Equal(ClaimStatus.Claimed, (await inbox.ClaimAsync(CountingHandler.Name, "old-abandoned", Lease, Ct)).Status);
        clock.Advance(TimeSpan.FromDays(3));
        await CompleteAsync(inbox, "recent");
        clock.Advance(TimeSpan.FromDays(4) + TimeSpan.FromHours(1));

        var deleted = await app.Get<InboxRetention>().DeleteExpiredAsync(Ct);

        Assert.Equal(2, deleted);
        Assert.Equal(["recent"], await RowKeysAsync(app));
        Assert.True(await inbox.IsDoneAsync(CountingHandler.Name, "recent", Ct));
    }

    [Fact(Timeout = 30_000)]
    public async Task ADuplicateWithinRetentionIsStillAbsorbedAfterASweepAndOnlyOneArrivingAfterItRunsAgain()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = await MessagingApp.StartAsync(services, clock);
        var retention = app.Get<InboxRetention>();
        Assert.Equal(PipelineAction.Handled, (await app.ProcessAsync(await app.DeliverAsync("""{"key":"order-9"}"""))).Action);

        clock.Advance(MessagingOptions.QueueMessageTimeToLive - TimeSpan.FromHours(1));
        var early = await retention.DeleteExpiredAsync(Ct);
        var duplicate = await app.ProcessAsync(await app.DeliverAsync("""{"key":"order-9"}"""));

        Assert.Equal((0, PipelineAction.Duplicate, 1), (early, duplicate.Action, app.Handler.Effects["order-9"]));

        // Why retention must outlive every message that can carry the work: past it, the inbox has forgotten.
        clock.Advance(TimeSpan.FromHours(2));
        var late = await retention.DeleteExpiredAsync(Ct);
        var afterRetention = await app.ProcessAsync(await app.DeliverAsync("""{"key":"order-9"}"""));

        Assert.Equal((1, PipelineAction.Handled, 2), (late, afterRetention.Action, app.Handler.Effects["order-9"]));
    }

    [Fact(Timeout = 30_000)]
    public async Task TheHourlyPassRunsOnceAnHourWhateverTheTimerRate()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = await MessagingApp.StartAsync(services, clock);
        var inbox = app.Get<Inbox>();
        var retention = app.Get<InboxRetention>();
        await CompleteAsync(inbox, "first");
        clock.Advance(TimeSpan.FromDays(1));
        await CompleteAsync(inbox, "second");
        clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(30));
        Assert.Equal(1, await retention.DeleteExpiredIfDueAsync(Ct));

        // "second" expires 30 min after that pass: the timer's next calls within the hour leave it, the first after it deletes it.
        clock.Advance(TimeSpan.FromMinutes(45));
        var tooSoon = await retention.DeleteExpiredIfDueAsync(Ct);
        clock.Advance(InboxRetention.PassInterval);
        var due = await retention.DeleteExpiredIfDueAsync(Ct);

        Assert.Equal((0, 1), (tooSoon, due));
    }

    private static async Task CompleteAsync(Inbox inbox, string id)
    {
        var claim = await inbox.ClaimAsync(CountingHandler.Name, id, Lease, Ct);
        Assert.Equal(ClaimStatus.Claimed, claim.Status);
        Assert.True(await inbox.CompleteAsync(claim, Ct));
    }

    private static async Task<List<string>> RowKeysAsync(MessagingApp app)
    {
        var table = app.Get<StorageClients>().Tables.GetTableClient(app.Get<IOptions<MessagingOptions>>().Value.InboxTable);
        var rows = new List<string>();
        await foreach (var row in table.QueryAsync<TableEntity>(select: ["RowKey"], cancellationToken: Ct))
        {
            rows.Add(row.RowKey);
        }

        return rows;
    }
}
