using Serverless.Core.Jobs;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Jobs;

/// <summary>
/// The runner against real local backends, driven by <see cref="JobQueuePump"/> as the host would drive its trigger:
/// forwarding with the job id as Idempotency-Key, retries, dead ends, the lease of a long job, and crash take-over.
/// </summary>
[RedisBacked]
[Collection(CampaignCollection.Name)]
public sealed class JobRunnerTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 40_000)]
    public async Task JobIsForwardedThroughItsPoolWithTheJobIdAsIdempotencyKeyAndSucceeds()
    {
        await using var backend = await Backend.StartAsync("b1");
        using var app = await JobApp.StartAsync(services);
        await app.SavePoolAsync("pool", backend);
        await using var pump = new JobQueuePump(app);

        await app.SubmitAsync("run-1", """{"pool":"pool","method":"put","path":"/items/7?x=1","payload":{"v":7}}""", Ct);
        var job = await app.WaitFinishedAsync(JobIds.For("run-1"), Within, Ct);

        Assert.Equal((JobState.Succeeded, 1, 200), (job.State, job.Attempts, job.LastStatusCode));
        var seen = Assert.Single(backend.Seen);
        Assert.Equal(("PUT", "/items/7?x=1", """{"v":7}""", job.Id), (seen.Method, seen.PathAndQuery, seen.Body, seen.Headers["Idempotency-Key"]));
        var view = await app.GetJobAsync(job.Id, Ct);
        Assert.Equal("succeeded", view.GetProperty("state").GetString());
        Assert.True(view.GetProperty("durationMs").GetDouble() > 0);
        Assert.Empty(pump.Errors);
    }

    [Fact(Timeout = 40_000)]
    public async Task TransientFailuresAreRetriedWithBackoffUntilTheJobSucceeds()
    {
        var calls = 0;
        await using var backend = await Backend.StartAsync("flaky");
        backend.Answer = _ => Task.FromResult(Interlocked.Increment(ref calls) <= 3 ? 503 : 200);
        using var app = await JobApp.StartAsync(services);
        await app.SavePoolAsync("pool", backend);
        await using var pump = new JobQueuePump(app);

        await app.SubmitAsync("run-2", """{"pool":"pool","path":"/x","maxAttempts":5}""", Ct);
        var job = await app.WaitFinishedAsync(JobIds.For("run-2"), Within, Ct);

        Assert.Equal((JobState.Succeeded, 200), (job.State, job.LastStatusCode));
        Assert.Equal(4, backend.Requests);
        Assert.True(job.Attempts >= 2, $"{job.Attempts} attempts");
    }

    [Fact(Timeout = 40_000)]
    public async Task JobThatKeepsFailingIsDeadAfterItsAttemptsWithTheLastStatusAndError()
    {
        await using var backend = await Backend.StartAsync("down", status: 503);
        using var app = await JobApp.StartAsync(services);
        await app.SavePoolAsync("pool", backend);
        await using var pump = new JobQueuePump(app);

        await app.SubmitAsync("run-3", """{"pool":"pool","path":"/x","maxAttempts":3}""", Ct);
        var job = await app.WaitFinishedAsync(JobIds.For("run-3"), Within, Ct);

        Assert.Equal((JobState.Dead, 3, 503), (job.State, job.Attempts, job.LastStatusCode));
        Assert.Contains("503", job.LastError, StringComparison.Ordinal);
    }

    [Fact(Timeout = 40_000)]
    public async Task ClientErrorFromTheTargetKillsTheJobWithoutRetrying()
    {
        await using var backend = await Backend.StartAsync("strict", status: 400);
        using var app = await JobApp.StartAsync(services);
        await app.SavePoolAsync("pool", backend);
        await using var pump = new JobQueuePump(app);

        await app.SubmitAsync("run-4", """{"pool":"pool","path":"/x","maxAttempts":5}""", Ct);
        var job = await app.WaitFinishedAsync(JobIds.For("run-4"), Within, Ct);

        Assert.Equal((JobState.Dead, 1, 400), (job.State, job.Attempts, job.LastStatusCode));
        Assert.Equal(1, backend.Requests);
    }

    [Fact(Timeout = 120_000)]
    public async Task LongJobKeepsItsClaimSoADuplicatedMessageDoesNotStartASecondRun()
    {
        // The job runs for two lease periods: only the heartbeat keeps the claim. The lease (renewed every third of
        // it) is 10 s: on a 2-core machine running the end-to-end suite beside this one, renewals of 4 s and 6 s
        // leases landed too late twice in CI and a duplicate message took the job over.
        await using var backend = await Backend.StartAsync("slow", delay: TimeSpan.FromSeconds(20));
        using var app = await JobApp.StartAsync(services, new() { ["Jobs:LeaseDuration"] = "00:00:10", ["Jobs:StuckAfter"] = "00:00:20" });
        using var other = await JobApp.StartSharingAsync(services, app.Prefix, app.Name, new() { ["Jobs:LeaseDuration"] = "00:00:10", ["Jobs:StuckAfter"] = "00:00:20" });
        await app.SavePoolAsync("pool", backend);
        await using var pump = new JobQueuePump(app);
        await using var otherPump = new JobQueuePump(other);
        await app.SubmitAsync("run-5", """{"pool":"pool","path":"/x"}""", Ct);
        var id = JobIds.For("run-5");
        await WaitAsync(async () => (await app.Store.GetAsync(id, Ct))!.State == JobState.Running);

        // Duplicated messages arrive while it runs, on both instances.
        for (var i = 0; i < 4; i++)
        {
            await app.Store.EnqueueAsync(id, TimeSpan.Zero, Ct);
        }

        var job = await app.WaitFinishedAsync(id, TimeSpan.FromSeconds(90), Ct);

        Assert.Equal((JobState.Succeeded, 1), (job.State, job.Attempts));
        Assert.Equal(1, backend.Requests);
        Assert.Empty(pump.Errors.Concat(otherPump.Errors));
    }

    [Fact(Timeout = 40_000)]
    public async Task RunnerThatCrashesAfterForwardingLosesItsLeaseAndTheJobIsTakenOverOnce()
    {
        await using var backend = await Backend.StartAsync("b");
        var faults = new CrashOnce();
        using var app = await JobApp.StartAsync(services, faults: faults);
        await app.SavePoolAsync("pool", backend);
        await using var pump = new JobQueuePump(app, visibility: TimeSpan.FromSeconds(2));

        await app.SubmitAsync("run-6", """{"pool":"pool","path":"/x"}""", Ct);
        var job = await app.WaitFinishedAsync(JobIds.For("run-6"), Within, Ct);

        Assert.Equal((JobState.Succeeded, 2), (job.State, job.Attempts));
        Assert.Equal(1, faults.Crashes);
        Assert.Empty(pump.Errors);
        // Both attempts reached the target with the same key: the backend's dedup is what keeps the effect single.
        Assert.Equal([job.Id, job.Id], backend.Seen.Select(s => s.Headers["Idempotency-Key"]));
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTimeOffset.UtcNow + Within;
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50, Ct);
        }
    }

    private sealed class CrashOnce : JobFaults
    {
        private int _crashed;

        public int Crashes => Volatile.Read(ref _crashed);

        public override ValueTask AfterForwardAsync(JobRecord job, CancellationToken cancellationToken) =>
            Interlocked.Exchange(ref _crashed, 1) == 0 ? throw new SimulatedCrashException() : ValueTask.CompletedTask;
    }
}
