using System.Text;
using Serverless.Core.Jobs;
using Serverless.Core.Messaging.Outbox;
using Serverless.Core.Records;
using Serverless.Testing;
using Serverless.Tests.Jobs;
using Serverless.Tests.Records;
using Xunit;

namespace Serverless.Tests.Outages;

/// <summary>
/// A Storage write that committed but whose answer was lost is retried by the SDK and meets itself: it must count as
/// done, not as another writer's conflict (Azurite on a busy machine answered the suite's writes after the 5 s network
/// timeout, and the retries then failed on their own first tries).
/// </summary>
[RedisBacked]
public sealed class LostAnswerTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 60_000)]
    [InlineData(WritePolicy.CacheAside)]
    [InlineData(WritePolicy.WriteThrough)]
    [InlineData(WritePolicy.WriteAround)]
    public async Task ARecordWriteWhoseAnswerWasLostIsAcknowledgedOnceNotRefused(WritePolicy policy)
    {
        var lost = new LostAnswers();
        using var app = await new RecordWorld(services).StartAsync(lost.Install);
        var collection = RecordApp.CollectionOf(policy);
        var key = $"k{Guid.NewGuid():N}";
        // Creates the table first: its creation is a write too, and would take the lost answer.
        Assert.Equal(RecordStatus.NotFound, (await app.Store.GetAsync(collection, key, Ct)).Status);

        lost.Arm();
        var created = await app.Store.PutAsync(collection, key, Json("first"), RecordPrecondition.None, Ct);
        lost.Arm();
        var updated = await app.Store.PutAsync(collection, key, Json("second"), new RecordPrecondition(false, 1), Ct);
        lost.Arm();
        var deleted = await app.Store.DeleteAsync(collection, key, new RecordPrecondition(false, 2), Ct);

        Assert.Equal(3, lost.Lost);
        Assert.Equal((RecordStatus.Created, 1L), (created.Status, created.Version));
        Assert.Equal((RecordStatus.Ok, 2L), (updated.Status, updated.Version));
        Assert.Equal((RecordStatus.Ok, 3L), (deleted.Status, deleted.Version));
        var row = await app.Get<RecordTable>().GetAsync(collection, key, Ct);
        Assert.Equal((3L, true), (row!.Version, row.Deleted));
    }

    [Fact(Timeout = 60_000)]
    public async Task AnOutboxBatchWhoseAnswerWasLostIsRecordedOnceNotFailed()
    {
        var lost = new LostAnswers();
        var table = $"outbox{Guid.NewGuid():N}"[..20];
        using var host = await services.StartAppAsync(new Dictionary<string, string?> { ["Messaging:OutboxTable"] = table }, lost.Install);
        var outbox = (OutboxStore)host.Services.GetService(typeof(OutboxStore))!;
        Assert.Empty(await outbox.PendingAsync(Ct));

        lost.Arm();
        var id = await outbox.RecordAsync("catalog-changes", ["one", "two", "three"], ct: Ct);

        Assert.Equal(1, lost.Lost);
        Assert.Equal([id], await outbox.PendingAsync(Ct));
        var batch = await outbox.TakeAsync(id, TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(["one", "two", "three"], batch!.Messages);
    }

    [Fact(Timeout = 60_000)]
    public async Task AJobSubmissionWhoseAnswerWasLostIsCreatedAndEnqueuedOnce()
    {
        var lost = new LostAnswers();
        using var app = await JobApp.StartAsync(services, configure: lost.Install);
        const string body = """{"pool":"pool","path":"/work"}""";
        // The first submission creates the table and the queue: their creation would take the lost answer.
        Assert.Equal(202, (await app.SubmitAsync($"warm-{Guid.NewGuid():N}", body, Ct)).Status);
        await app.Store.Queue.ClearMessagesAsync(Ct);

        lost.Arm();
        var submitted = await app.SubmitAsync($"lost-{Guid.NewGuid():N}", body, Ct);

        Assert.Equal(1, lost.Lost);
        Assert.Equal(202, submitted.Status);
        var messages = await app.Store.Queue.PeekMessagesAsync(32, Ct);
        Assert.Single(messages.Value);
    }

    [Fact(Timeout = 60_000)]
    public async Task ALeaseRenewalWhoseAnswerWasLostKeepsTheClaimAndTheRunRecordsItsOutcome()
    {
        var lost = new LostAnswers();
        await using var backend = await Backend.StartAsync("slow", delay: TimeSpan.FromSeconds(4));
        using var app = await JobApp.StartAsync(services, configure: lost.Install);
        await app.SavePoolAsync("pool", backend);
        var key = $"lease-{Guid.NewGuid():N}";
        Assert.Equal(202, (await app.SubmitAsync(key, """{"pool":"pool","path":"/work"}""", Ct)).Status);

        // Run by this flow, not a pump: the claim is its first write, the heartbeat's first renewal (3 s lease, one
        // beat a second, over a 4 s job) its second.
        lost.Arm(skip: 1);
        var run = await app.Runner.RunAsync(new JobMessage(JobIds.For(key)), Ct);

        Assert.Equal(1, lost.Lost);
        Assert.Equal(JobRun.Succeeded, run);
        var job = await app.Store.GetAsync(JobIds.For(key), Ct);
        Assert.Equal((JobState.Succeeded, 1), (job!.State, job.Attempts));
        Assert.Equal(1, backend.Requests);
    }

    private static ReadOnlyMemory<byte> Json(string value) => Encoding.UTF8.GetBytes($$"""{"value":"{{value}}"}""");
}
