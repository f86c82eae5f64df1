using Serverless.Core.Jobs;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Jobs;

/// <summary>Submitting jobs through the HTTP function: Idempotency-Key handling, refusals, and the state read back.</summary>
[RedisBacked]
public sealed class JobSubmissionTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task SameKeyAndBodyAnswerTheSameJobAndEnqueueItOnce()
    {
        using var app = await JobApp.StartAsync(services);
        const string body = """{"pool":"p1","path":"/orders","payload":{"n":1}}""";

        var first = await app.SubmitAsync("key-1", body, Ct);
        var again = await app.SubmitAsync("key-1", """{ "path":"/orders", "payload":{"n":1}, "pool":"p1" }""", Ct);

        Assert.Equal((202, 200), (first.Status, again.Status));
        Assert.Equal(first.Headers.Location.ToString(), again.Headers.Location.ToString());
        Assert.Equal($"/api/jobs/{JobIds.For("key-1")}", first.Headers.Location.ToString());
        Assert.Equal("queued", first.Json.GetProperty("state").GetString());
        var messages = (await app.Store.Queue.PeekMessagesAsync(32, Ct)).Value;
        Assert.Single(messages);
    }

    [Fact(Timeout = 30_000)]
    public async Task SameKeyWithADifferentBodyIsRefusedWith422AndChangesNothing()
    {
        using var app = await JobApp.StartAsync(services);
        await app.SubmitAsync("key-2", """{"pool":"p1","path":"/a"}""", Ct);

        var reused = await app.SubmitAsync("key-2", """{"pool":"p1","path":"/b"}""", Ct);

        Assert.Equal(422, reused.Status);
        Assert.True(reused.IsProblem);
        Assert.Equal("/a", (await app.Store.GetAsync(JobIds.For("key-2"), Ct))!.Request.Path);
        Assert.Single((await app.Store.Queue.PeekMessagesAsync(32, Ct)).Value);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("""{"path":"/a"}""")]
    [InlineData("""{"pool":"bad name","path":"/a"}""")]
    [InlineData("""{"pool":"p","path":"a"}""")]
    [InlineData("""{"pool":"p","path":"/../secret"}""")]
    [InlineData("""{"pool":"p","path":"/a","method":"CONNECT"}""")]
    [InlineData("""{"pool":"p","path":"/a","delay":-1}""")]
    [InlineData("""{"pool":"p","path":"/a","delay":"soon"}""")]
    [InlineData("""{"pool":"p","path":"/a","maxAttempts":0}""")]
    [InlineData("""{"pool":"p","path":"/a","maxAttempts":1.5}""")]
    [InlineData("""{"pool":"p","path":"/a","orderingKey":""}""")]
    [InlineData("""[1]""")]
    [InlineData("""not json""")]
    public async Task MalformedJobIsRefusedWith400AndNothingIsStored(string body)
    {
        using var app = await JobApp.StartAsync(services);

        var refused = await app.SubmitAsync("key-3", body, Ct);

        Assert.Equal(400, refused.Status);
        Assert.True(refused.IsProblem);
        Assert.Null(await app.Store.GetAsync(JobIds.For("key-3"), Ct));
    }

    [Theory(Timeout = 30_000)]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("ключ")]
    public async Task MissingOrMalformedIdempotencyKeyIsRefusedWith400(string key)
    {
        using var app = await JobApp.StartAsync(services);

        var refused = await app.SubmitAsync(key, """{"pool":"p","path":"/a"}""", Ct);

        Assert.Equal(400, refused.Status);
        Assert.Contains("Idempotency-Key", refused.Body, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task UnknownJobIs404AndAMalformedIdIs400()
    {
        using var app = await JobApp.StartAsync(services);
        var request = ActionResults.Request();

        var unknown = await ActionResults.ExecuteAsync(await app.Functions.Get(request, JobIds.For("never"), Ct), request);
        var malformed = await ActionResults.ExecuteAsync(await app.Functions.Get(ActionResults.Request(), "job-XYZ", Ct));

        Assert.Equal((404, 400), (unknown.Status, malformed.Status));
    }

    [Fact(Timeout = 30_000)]
    public async Task DelayedJobIsHiddenOnTheQueueUntilItsTime()
    {
        using var app = await JobApp.StartAsync(services);

        var accepted = await app.SubmitAsync("key-4", """{"pool":"p","path":"/a","delay":60}""", Ct);

        Assert.Equal(202, accepted.Status);
        Assert.Empty((await app.Store.Queue.PeekMessagesAsync(32, Ct)).Value);
        var job = await app.GetJobAsync(JobIds.For("key-4"), Ct);
        var notBefore = job.GetProperty("notBefore").GetDateTimeOffset();
        Assert.InRange(notBefore - job.GetProperty("submittedAt").GetDateTimeOffset(), TimeSpan.FromSeconds(59.9), TimeSpan.FromSeconds(60.1));
    }
}
