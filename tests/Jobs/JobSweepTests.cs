using Serverless.Core.Jobs;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Jobs;

/// <summary>The crash windows no message covers, closed by the client's retry, the runner's lane repair, or the sweep.</summary>
[RedisBacked]
public sealed class JobSweepTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string?> QuickSweep = new()
    {
        ["Jobs:LeaseDuration"] = "00:00:01",
        ["Jobs:StuckAfter"] = "00:00:01.500",
    };

    [Fact(Timeout = 30_000)]
    public async Task ClientRetryFinishesASubmissionThatCrashedBeforeEnqueueing()
    {
        await using var backend = await Backend.StartAsync("b");
        using var app = await JobApp.StartAsync(services);
        await app.SavePoolAsync("pool", backend);
        const string body = """{"pool":"pool","path":"/x"}""";
        await InsertWithoutEnqueueingAsync(app, "crashed-submit", body);
        await using var pump = new JobQueuePump(app);

        var retried = await app.SubmitAsync("crashed-submit", body, Ct);
        var job = await app.WaitFinishedAsync(JobIds.For("crashed-submit"), TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(200, retried.Status);
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(1, backend.Requests);
    }

    [Fact(Timeout = 30_000)]
    public async Task SweepEnqueuesAJobWhoseSubmissionCrashedAndWasNeverRetried()
    {
        await using var backend = await Backend.StartAsync("b");
        using var app = await JobApp.StartAsync(services, QuickSweep);
        await app.SavePoolAsync("pool", backend);
        await InsertWithoutEnqueueingAsync(app, "orphan", """{"pool":"pool","path":"/x"}""");
        await using var pump = new JobQueuePump(app);

        var swept = await SweepUntilAsync(app, 1);
        var job = await app.WaitFinishedAsync(JobIds.For("orphan"), TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(1, swept);
        Assert.Equal(JobState.Succeeded, job.State);
    }

    [Fact(Timeout = 30_000)]
    public async Task LaneWhoseTurnWasNotMovedAfterItsJobEndedIsRepairedAndTheNextJobRuns()
    {
        await using var backend = await Backend.StartAsync("b");
        using var app = await JobApp.StartAsync(services, QuickSweep);
        await app.SavePoolAsync("pool", backend);
        await app.SubmitAsync("first", JobOrderingTests.Ordered("k", 0), Ct);
        await app.SubmitAsync("second", JobOrderingTests.Ordered("k", 1), Ct);
        // The first job's runner wrote "succeeded" and died before moving the lane on; its messages are gone.
        var first = (await app.Store.GetAsync(JobIds.For("first"), Ct))!;
        await app.Store.TryReplaceAsync(first with { State = JobState.Succeeded, FinishedAt = DateTimeOffset.UtcNow }, Ct);
        await app.Store.Queue.ClearMessagesAsync(Ct);
        await using var pump = new JobQueuePump(app);

        await SweepUntilAsync(app, 1);
        var second = await app.WaitFinishedAsync(JobIds.For("second"), TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(JobState.Succeeded, second.State);
        Assert.Equal([JobIds.For("second")], backend.Seen.Select(s => s.Headers["Idempotency-Key"]));
    }

    private static async Task InsertWithoutEnqueueingAsync(JobApp app, string key, string body)
    {
        using var document = System.Text.Json.JsonDocument.Parse(body);
        var (request, error) = JobRequest.Parse(document.RootElement, app.Submitter.Options);
        Assert.True(request is not null, error);
        var now = DateTimeOffset.UtcNow;
        Assert.NotNull(await app.Store.TryInsertAsync(new JobRecord(JobIds.For(key), request!, request!.Fingerprint(), JobState.Queued, 0, now, now) { UpdatedAt = now }, Ct));
    }

    // The sweep only touches jobs older than Jobs:StuckAfter, so it is polled until it finds them.
    private static async Task<int> SweepUntilAsync(JobApp app, int atLeast)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var swept = await app.Get<JobSweeper>().SweepAsync(Ct);
            if (swept >= atLeast)
            {
                return swept;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, "the sweep found nothing to do");
            await Task.Delay(200, Ct);
        }
    }
}
