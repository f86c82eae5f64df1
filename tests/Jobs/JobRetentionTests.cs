using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Jobs;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Jobs;

/// <summary>
/// Jobs:Retention: succeeded jobs and empty idle lanes are deleted after it, on a fake clock (the jobs run for real,
/// then the clock jumps days ahead); dead jobs, recent jobs and lanes someone still waits in or just joined are kept.
/// </summary>
[RedisBacked]
public sealed class JobRetentionTests(ServicesFixture services)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 90_000)]
    public async Task SucceededJobsPastRetentionAreDeletedWhileRecentAndDeadOnesAreKept()
    {
        var (app, clock, backend) = await StartAsync();
        using var _ = app;
        await using var __ = backend;
        await using (new JobQueuePump(app))
        {
            await RunAsync(app, "old", """{"pool":"pool","path":"/ok"}""");
            await RunAsync(app, "old-dead", """{"pool":"pool","path":"/refuse"}""");
            clock.Advance(TimeSpan.FromDays(2));
            await RunAsync(app, "recent", """{"pool":"pool","path":"/ok"}""");
        }

        clock.Advance(TimeSpan.FromDays(5) + TimeSpan.FromHours(1));
        var deleted = await app.Get<JobRetention>().DeleteExpiredAsync(Ct);

        Assert.Equal((1, 0), deleted);
        Assert.Null(await app.Store.GetAsync(JobIds.For("old"), Ct));
        Assert.Equal(JobState.Succeeded, (await app.Store.GetAsync(JobIds.For("recent"), Ct))?.State);
        Assert.Equal(JobState.Dead, (await app.Store.GetAsync(JobIds.For("old-dead"), Ct))?.State);
        // Past retention the key is new again: the same submission is a new job (the documented contract).
        Assert.Equal(202, (await app.SubmitAsync("old", """{"pool":"pool","path":"/ok"}""", Ct)).Status);
    }

    [Fact(Timeout = 90_000)]
    public async Task AnEmptyIdleLaneIsDeletedAndItsKeyStartsAFreshLaneWhileALaneWithAWaitingJobIsKept()
    {
        var (app, clock, backend) = await StartAsync();
        using var _ = app;
        await using var __ = backend;
        await using (new JobQueuePump(app))
        {
            await RunAsync(app, "a0", JobOrderingTests.Ordered("done-lane", 0));
            await RunAsync(app, "a1", JobOrderingTests.Ordered("done-lane", 1));
        }

        // No pump: this one waits in its lane through the whole retention.
        Assert.Equal(202, (await app.SubmitAsync("w0", JobOrderingTests.Ordered("waiting-lane", 0), Ct)).Status);
        clock.Advance(TimeSpan.FromDays(8));

        var deleted = await app.Get<JobRetention>().DeleteExpiredAsync(Ct);

        Assert.Equal((2, 1), deleted);
        Assert.Empty(await RowKeysAsync(app, "done-lane"));
        Assert.Contains("head", await RowKeysAsync(app, "waiting-lane"));
        await using (new JobQueuePump(app))
        {
            var fresh = await RunAsync(app, "a2", JobOrderingTests.Ordered("done-lane", 2));
            var waiting = await app.WaitFinishedAsync(JobIds.For("w0"), Within, Ct);
            Assert.Equal((JobState.Succeeded, 1L), (fresh.State, fresh.Seq));
            Assert.Equal(JobState.Succeeded, waiting.State);
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task ALaneASubmissionJoinsAfterItWasJudgedIdleIsNotDeletedAndKeepsTheNewJobsPlace()
    {
        var (app, clock, backend) = await StartAsync();
        using var _ = app;
        await using var __ = backend;
        await using var pump = new JobQueuePump(app);
        await RunAsync(app, "r0", JobOrderingTests.Ordered("race", 0));
        clock.Advance(TimeSpan.FromDays(8));
        var lanes = app.Get<JobLanes>();
        var stale = await SingleHeadAsync(lanes, "race", clock.GetUtcNow());
        Assert.True(JobLanes.IsEmpty(stale));

        // The race: a submission joins between the sweep's read of the head and its delete.
        var r1 = await RunAsync(app, "r1", JobOrderingTests.Ordered("race", 1));
        var deleted = await lanes.TryDeleteAsync(stale, Ct);

        Assert.False(deleted);
        Assert.Equal(2L, r1.Seq);
        Assert.Equal(["head", $"member-{JobIds.For("r1")}-0", "seq-" + 2L.ToString("D19", System.Globalization.CultureInfo.InvariantCulture)], await RowKeysAsync(app, "race"));
        var r2 = await RunAsync(app, "r2", JobOrderingTests.Ordered("race", 2));
        Assert.Equal((JobState.Succeeded, 3L), (r2.State, r2.Seq));
    }

    [Fact(Timeout = 90_000)]
    public async Task ResubmittingTheKeyOfADeletedJobInABusyLaneJoinsItAfreshInsteadOfWaitingForever()
    {
        var (app, clock, backend) = await StartAsync();
        using var _ = app;
        await using var __ = backend;
        await using var pump = new JobQueuePump(app);
        await RunAsync(app, "x0", JobOrderingTests.Ordered("busy", 0));
        clock.Advance(TimeSpan.FromDays(8));
        await RunAsync(app, "x1", JobOrderingTests.Ordered("busy", 1));

        var deleted = await app.Get<JobRetention>().DeleteExpiredAsync(Ct);
        var again = await RunAsync(app, "x0", JobOrderingTests.Ordered("busy", 0));

        Assert.Equal((1, 0), deleted);
        Assert.Equal((JobState.Succeeded, 3L), (again.State, again.Seq));
    }

    private async Task<(JobApp App, FakeTimeProvider Clock, Backend Backend)> StartAsync()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var backend = await Backend.StartAsync("b");
        backend.Answer = r => Task.FromResult(r.PathAndQuery.Contains("/refuse", StringComparison.Ordinal) ? 400 : 200);
        var app = await JobApp.StartAsync(services, configure: s => s.AddSingleton<TimeProvider>(clock));
        await app.SavePoolAsync("pool", backend);
        return (app, clock, backend);
    }

    private static async Task<JobRecord> RunAsync(JobApp app, string key, string body)
    {
        var submitted = await app.SubmitAsync(key, body, Ct);
        Assert.Equal(202, submitted.Status);
        var job = await app.WaitFinishedAsync(JobIds.For(key), Within, Ct);
        // The runner moves the lane on just after recording the end: wait for it, or a clock jump could land first.
        var deadline = DateTimeOffset.UtcNow + Within;
        while (job is { Request.OrderingKey: { } lane, Seq: { } seq } && await app.Get<JobLanes>().TurnAsync(lane, Ct) <= seq)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"lane {lane} still at place {seq} after {Within}");
            await Task.Delay(50, Ct);
        }

        return job;
    }

    private static async Task<TableEntity> SingleHeadAsync(JobLanes lanes, string key, DateTimeOffset idleBefore)
    {
        var heads = new List<TableEntity>();
        await foreach (var head in lanes.IdleHeadsAsync(idleBefore, Ct))
        {
            if (head.PartitionKey == JobLanes.PartitionOf(key))
            {
                heads.Add(head);
            }
        }

        return Assert.Single(heads);
    }

    private static async Task<List<string>> RowKeysAsync(JobApp app, string key)
    {
        var rows = new List<string>();
        await foreach (var row in app.Store.Table.QueryAsync<TableEntity>($"PartitionKey eq '{JobLanes.PartitionOf(key)}'", select: ["RowKey"], cancellationToken: Ct))
        {
            rows.Add(row.RowKey);
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;
    }
}
