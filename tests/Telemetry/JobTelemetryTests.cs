using Serverless.Core.Jobs;
using Serverless.Core.Telemetry;
using Serverless.Testing;
using Serverless.Tests.Jobs;
using Xunit;

namespace Serverless.Tests.Telemetry;

[RedisBacked]
[Collection(TelemetryCollection.Name)]
public sealed class JobTelemetryTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task SubmittedSucceededAndDeadJobsAreCountedPerPoolWithTheirDurations()
    {
        // Pool names of this test alone: the listener is process-wide and other classes run jobs in parallel.
        var (good, bad) = ("tel-ok-" + Guid.NewGuid().ToString("N")[..8], "tel-no-" + Guid.NewGuid().ToString("N")[..8]);
        await using var ok = await Backend.StartAsync("ok");
        await using var refusing = await Backend.StartAsync("refusing", status: 400);
        using var app = await JobApp.StartAsync(services);
        await app.SavePoolAsync(good, ok);
        await app.SavePoolAsync(bad, refusing);
        using var telemetry = new TelemetryCapture();
        await using var pump = new JobQueuePump(app);

        var key = Guid.NewGuid().ToString("N");
        await app.SubmitAsync("ok-" + key, $$"""{"pool":"{{good}}","path":"/x"}""", Ct);
        await app.SubmitAsync("ok-" + key, $$"""{"pool":"{{good}}","path":"/x"}""", Ct);
        await app.SubmitAsync("no-" + key, $$"""{"pool":"{{bad}}","path":"/x"}""", Ct);
        var succeeded = await app.WaitFinishedAsync(JobIds.For("ok-" + key), TimeSpan.FromSeconds(30), Ct);
        var dead = await app.WaitFinishedAsync(JobIds.For("no-" + key), TimeSpan.FromSeconds(30), Ct);

        Assert.Equal((JobState.Succeeded, JobState.Dead), (succeeded.State, dead.State));
        Assert.Equal(1, Count(telemetry, "serverless.jobs.submitted", good));
        Assert.Equal(1, Count(telemetry, "serverless.jobs.submitted", bad));
        Assert.Equal(1, Count(telemetry, "serverless.jobs.succeeded", good));
        Assert.Equal(0, Count(telemetry, "serverless.jobs.dead", good));
        Assert.Equal(1, Count(telemetry, "serverless.jobs.dead", bad));
        Assert.Equal((1L, 1L), (Durations(telemetry, good), Durations(telemetry, bad)));
    }

    private static long Count(TelemetryCapture telemetry, string instrument, string pool) =>
        telemetry.Sum(instrument, (MessagingMetrics.JobTypeTag, pool));

    private static long Durations(TelemetryCapture telemetry, string pool) =>
        telemetry.Count("serverless.jobs.duration", (MessagingMetrics.JobTypeTag, pool));
}
