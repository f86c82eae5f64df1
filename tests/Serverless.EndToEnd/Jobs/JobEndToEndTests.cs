using System.Text.Json;
using Serverless.Core.Jobs;
using Serverless.EndToEnd.Host;
using Serverless.Testing;
using Xunit;

namespace Serverless.EndToEnd.Jobs;

[RedisBacked]
public sealed class JobEndToEndTests(HostFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Under the host: submit (the route order of <c>jobs/dead</c> against <c>jobs/{id}</c> included), the queue
    /// trigger runs the job through the pipeline, a job the target refuses ends dead, is listed, replayed after the fix,
    /// and a dead one is purged.
    /// </summary>
    [Fact(Timeout = 120_000)]
    [Covers("SubmitJob", "GetJob", "RunJob", "ListDeadJobs", "ReplayDeadJobs", "PurgeDeadJobs")]
    public async Task AJobRunsThroughItsPoolAndADeadOneIsListedReplayedAndPurged()
    {
        fixture.AssertIndexed("RunJob");
        var refuse = true;
        await using var backend = await Backend.StartAsync("jobs-b1");
        backend.Answer = r => Task.FromResult(refuse && r.PathAndQuery.StartsWith("/refused", StringComparison.Ordinal) ? 400 : 200);
        using var client = fixture.Client();
        var pool = "jobs" + Guid.NewGuid().ToString("N")[..8];
        var put = await Answer.SendAsync(client, HttpMethod.Put, $"dispatch/pools/{pool}", new { policy = "round-robin", targets = new[] { new { id = "jobs-b1", url = backend.Url } } });
        Assert.True(put.Status == 201, put.ToString());
        var run = Guid.NewGuid().ToString("N");

        var accepted = await Submit(client, $"ok-{run}", new { pool, path = "/fine", payload = new { run } });
        Assert.True(accepted.Status == 202, accepted.ToString());
        var again = await Submit(client, $"ok-{run}", new { pool, path = "/fine", payload = new { run } });
        Assert.Equal((200, accepted.Header("Location")), (again.Status, again.Header("Location")));
        var location = accepted.Header("Location")!;
        await Eventually.GetAsync(() => Answer.SendAsync(client, HttpMethod.Get, location["/api/".Length..]),
            a => a.Status == 200 && a.Json.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(60), "the job succeeds");

        var refused = await Submit(client, $"refused-{run}", new { pool, path = "/refused" });
        var deadId = refused.Json.GetProperty("id").GetString()!;
        await Eventually.GetAsync(() => Answer.SendAsync(client, HttpMethod.Get, "jobs/dead?limit=100"),
            a => a.Status == 200 && a.Json.GetProperty("jobs").EnumerateArray().Any(j => j.GetProperty("id").GetString() == deadId), TimeSpan.FromSeconds(60), "the refused job is listed dead");
        refuse = false;
        var replayed = await Answer.SendAsync(client, HttpMethod.Post, "jobs/dead/replay", new { id = deadId });
        Assert.True(replayed.Status == 200, replayed.ToString());
        Assert.Equal("replayed", replayed.Json.GetProperty("jobs")[0].GetProperty("outcome").GetString());
        await Eventually.GetAsync(() => Answer.SendAsync(client, HttpMethod.Get, $"jobs/{deadId}"),
            a => a.Status == 200 && a.Json.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(60), "the replayed job succeeds");

        refuse = true;
        var doomed = await Submit(client, $"doomed-{run}", new { pool, path = "/refused/again" });
        var doomedId = doomed.Json.GetProperty("id").GetString()!;
        await Eventually.GetAsync(() => Answer.SendAsync(client, HttpMethod.Get, $"jobs/{doomedId}"),
            a => a.Status == 200 && a.Json.GetProperty("state").GetString() == "dead", TimeSpan.FromSeconds(60), "the second refused job is dead");
        var purged = await Answer.SendAsync(client, HttpMethod.Post, "jobs/dead/purge", new { id = doomedId });
        Assert.True(purged.Status == 200, purged.ToString());
        Assert.Equal(404, (await Answer.SendAsync(client, HttpMethod.Get, $"jobs/{doomedId}")).Status);
    }

    /// <summary>A job whose submission died before its message was sent is found by the sweep timer and run.</summary>
    [Fact(Timeout = 120_000)]
    [Covers("SweepJobs")]
    public async Task TheSweepTimerRunsAJobLeftWithoutAMessage()
    {
        fixture.AssertIndexed("SweepJobs");
        await using var backend = await Backend.StartAsync("jobs-sweep");
        using var client = fixture.Client();
        var pool = "sweep" + Guid.NewGuid().ToString("N")[..8];
        var put = await Answer.SendAsync(client, HttpMethod.Put, $"dispatch/pools/{pool}", new { policy = "round-robin", targets = new[] { new { id = "jobs-sweep", url = backend.Url } } });
        Assert.True(put.Status == 201, put.ToString());
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(new { pool, path = "/orphan" }));
        var (request, error) = JobRequest.Parse(document.RootElement, new JobOptions());
        Assert.True(request is not null, error);
        var id = JobIds.For("orphan-" + Guid.NewGuid().ToString("N"));
        var now = DateTimeOffset.UtcNow;
        Assert.NotNull(await fixture.Get<JobStore>().TryInsertAsync(new JobRecord(id, request!, request!.Fingerprint(), JobState.Queued, 0, now, now) { UpdatedAt = now }, Ct));

        await Eventually.GetAsync(() => Answer.SendAsync(client, HttpMethod.Get, $"jobs/{id}"),
            a => a.Status == 200 && a.Json.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(90), "the swept job succeeds");
        Assert.Equal(id, Assert.Single(backend.Seen).Headers["Idempotency-Key"]);
    }

    private static Task<Answer> Submit(HttpClient client, string key, object body) =>
        Answer.SendAsync(client, HttpMethod.Post, "jobs", body, new Dictionary<string, string> { ["Idempotency-Key"] = key });
}
