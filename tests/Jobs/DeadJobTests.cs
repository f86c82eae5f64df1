using Serverless.Core.Jobs;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Jobs;

/// <summary>Dead jobs through the admin functions: list, replay one or all (a replay count; a succeeded job is a no-op), purge.</summary>
[RedisBacked]
public sealed class DeadJobTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task ReplayingAllDeadJobsAfterTheFixMakesEachSucceedOnceAndLeavesSucceededOnesAlone()
    {
        var fixedUp = false;
        await using var backend = await Backend.StartAsync("b");
        backend.Answer = r => Task.FromResult(!fixedUp && r.PathAndQuery.StartsWith("/broken", StringComparison.Ordinal) ? 422 : 200);
        using var app = await JobApp.StartAsync(services);
        await app.SavePoolAsync("pool", backend);
        await using var pump = new JobQueuePump(app);
        await app.SubmitAsync("dead-1", """{"pool":"pool","path":"/broken/1"}""", Ct);
        await app.SubmitAsync("dead-2", """{"pool":"pool","path":"/broken/2"}""", Ct);
        await app.SubmitAsync("fine-1", """{"pool":"pool","path":"/fine"}""", Ct);
        foreach (var key in new[] { "dead-1", "dead-2", "fine-1" })
        {
            await app.WaitFinishedAsync(JobIds.For(key), TimeSpan.FromSeconds(20), Ct);
        }

        var listed = await CallAsync(app, "GET", null, "limit=10");
        Assert.Equal(2, listed.Json.GetProperty("count").GetInt32());
        fixedUp = true;

        var replayed = await CallAsync(app, "POST", """{"all":true}""");
        var noOp = await CallAsync(app, "POST", $$"""{"id":"{{JobIds.For("fine-1")}}"}""");

        Assert.Equal(200, replayed.Status);
        Assert.All(replayed.Json.GetProperty("jobs").EnumerateArray(), j => Assert.Equal(("replayed", 1), (j.GetProperty("outcome").GetString(), j.GetProperty("replayCount").GetInt32())));
        Assert.Equal("already-succeeded", noOp.Json.GetProperty("jobs")[0].GetProperty("outcome").GetString());
        foreach (var key in new[] { "dead-1", "dead-2" })
        {
            var job = await app.WaitFinishedAsync(JobIds.For(key), TimeSpan.FromSeconds(20), Ct);
            Assert.Equal((JobState.Succeeded, 1, 1), (job.State, job.Attempts, job.ReplayCount));
        }

        Assert.Equal(0, (await CallAsync(app, "GET", null)).Json.GetProperty("count").GetInt32());
        Assert.Equal(1, backend.Seen.Count(s => s.PathAndQuery == "/fine"));
        Assert.Equal(2, backend.Seen.Count(s => s.PathAndQuery == "/broken/1"));
    }

    [Fact(Timeout = 60_000)]
    public async Task PurgeDeletesDeadJobsOnlyAndAnUnknownIdIs404()
    {
        await using var backend = await Backend.StartAsync("b", status: 400);
        using var app = await JobApp.StartAsync(services);
        await app.SavePoolAsync("pool", backend);
        await using var pump = new JobQueuePump(app);
        await app.SubmitAsync("purge-1", """{"pool":"pool","path":"/x"}""", Ct);
        await app.WaitFinishedAsync(JobIds.For("purge-1"), TimeSpan.FromSeconds(20), Ct);

        var purged = await CallAsync(app, "POST", $$"""{"id":"{{JobIds.For("purge-1")}}"}""", purge: true);
        var unknown = await CallAsync(app, "POST", $$"""{"id":"{{JobIds.For("nobody")}}"}""", purge: true);

        Assert.Equal("purged", purged.Json.GetProperty("jobs")[0].GetProperty("outcome").GetString());
        Assert.Null(await app.Store.GetAsync(JobIds.For("purge-1"), Ct));
        Assert.Equal(404, unknown.Status);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("""{}""")]
    [InlineData("""{"all":false}""")]
    [InlineData("""{"id":"job-1","all":true}""")]
    [InlineData("""{"id":"not-a-job"}""")]
    [InlineData("""[]""")]
    public async Task ReplayWithoutExactlyOneTargetIsRefusedWith400(string body)
    {
        using var app = await JobApp.StartAsync(services);

        var refused = await CallAsync(app, "POST", body);

        Assert.Equal(400, refused.Status);
        Assert.True(refused.IsProblem);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1001")]
    [InlineData("ten")]
    public async Task ListingWithALimitOutOfRangeIsRefusedWith400(string limit)
    {
        using var app = await JobApp.StartAsync(services);

        Assert.Equal(400, (await CallAsync(app, "GET", null, $"limit={limit}")).Status);
    }

    private static async Task<ActionResults.Response> CallAsync(JobApp app, string method, string? body, string? query = null, bool purge = false)
    {
        var request = ActionResults.Request(method, query, body);
        var functions = app.DeadFunctions;
        var result = method == "GET" ? await functions.List(request, Ct) : purge ? await functions.Purge(request, Ct) : await functions.Replay(request, Ct);
        return await ActionResults.ExecuteAsync(result, request);
    }
}
