using Serverless.Core.Records;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Records;

[RedisBacked]
public sealed class RecordHttpTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string Collection = WritePolicy.WriteThrough.Name();

    [Fact(Timeout = 20_000)]
    public async Task PutAnswersCreatedWithTheVersionAsETagAndGetSaysWhichLayerAnswered()
    {
        var world = new RecordWorld(services);
        using var first = await world.StartAsync();
        using var second = await world.StartAsync();

        var put = await SendAsync(first, "PUT", "k1", """{"name":"ada"}""");
        var onOther = await SendAsync(second, "GET", "k1");
        // The write's invalidation may reach the second instance during that read, which then does not fill L1: poll.
        var again = await SendAsync(second, "GET", "k1");
        for (var deadline = DateTime.UtcNow.AddSeconds(10); again.Headers["X-Cache"] != "hit-l1" && DateTime.UtcNow < deadline;)
        {
            again = await SendAsync(second, "GET", "k1");
        }
        var cold = await SendAsync(first, "GET", "never-written");

        Assert.Equal(201, put.Status);
        Assert.Equal("\"1\"", put.Headers.ETag.ToString());
        Assert.Equal(200, onOther.Status);
        Assert.Equal("hit-l2", onOther.Headers["X-Cache"].ToString());
        Assert.Equal("ada", onOther.Json.GetProperty("name").GetString());
        Assert.Equal("1", onOther.Headers["X-Record-Version"].ToString());
        Assert.Equal("hit-l1", again.Headers["X-Cache"].ToString());
        Assert.Equal(404, cold.Status);
        Assert.Equal("miss", cold.Headers["X-Cache"].ToString());
    }

    [Fact(Timeout = 20_000)]
    public async Task PutWithAStaleIfMatchAnswers412ProblemAndChangesNothing()
    {
        using var app = await RecordApp.StartAsync(services);
        await SendAsync(app, "PUT", "k", """{"n":1}""");
        await SendAsync(app, "PUT", "k", """{"n":2}""", ifMatch: "\"1\"");

        var stale = await SendAsync(app, "PUT", "k", """{"n":3}""", ifMatch: "\"1\"");
        var read = await SendAsync(app, "GET", "k");

        Assert.Equal(412, stale.Status);
        Assert.True(stale.IsProblem, stale.ContentType);
        Assert.Equal(2, read.Json.GetProperty("n").GetInt32());
        Assert.Equal("\"2\"", read.Headers.ETag.ToString());
    }

    [Fact(Timeout = 20_000)]
    public async Task DeleteLeavesATombstoneSoARecreatedRecordsVersionKeepsGrowing()
    {
        using var app = await RecordApp.StartAsync(services);
        await SendAsync(app, "PUT", "k", """{"n":1}""");

        var deleted = await SendAsync(app, "DELETE", "k", ifMatch: "\"1\"");
        var gone = await SendAsync(app, "GET", "k");
        var again = await SendAsync(app, "DELETE", "k");
        var recreated = await SendAsync(app, "PUT", "k", """{"n":2}""");

        Assert.Equal(204, deleted.Status);
        Assert.Equal(404, gone.Status);
        Assert.Equal(404, again.Status);
        Assert.Equal(201, recreated.Status);
        Assert.Equal("\"3\"", recreated.Headers.ETag.ToString());
    }

    [Fact(Timeout = 20_000)]
    public async Task AnUnknownCollectionIsA404ProblemAndABadKeyA400AndNeitherWritesAnything()
    {
        using var app = await RecordApp.StartAsync(services);
        var before = await app.KeysAsync();

        var unknown = ActionResults.Request("PUT", body: "{}");
        var unknownAnswer = await ActionResults.ExecuteAsync(await app.Functions.Put(unknown, "no-such", "k", Ct), unknown);
        var badKey = ActionResults.Request("PUT", body: "{}");
        var badKeyAnswer = await ActionResults.ExecuteAsync(await app.Functions.Put(badKey, Collection, "a/b", Ct), badKey);
        var notObject = await SendAsync(app, "PUT", "k", "[1]");

        Assert.Equal(404, unknownAnswer.Status);
        Assert.True(unknownAnswer.IsProblem);
        Assert.Equal(400, badKeyAnswer.Status);
        Assert.Equal(400, notObject.Status);
        Assert.Equal(before, await app.KeysAsync());
    }

    internal static async Task<ActionResults.Response> SendAsync(RecordApp app, string method, string key, string? body = null, string? ifMatch = null, string? collection = null)
    {
        var headers = ifMatch is null ? null : new Dictionary<string, string> { ["If-Match"] = ifMatch };
        var request = ActionResults.Request(method, body: body, headers: headers);
        collection ??= Collection;
        var result = method switch
        {
            "GET" => await app.Functions.Get(request, collection, key, Ct),
            "PUT" => await app.Functions.Put(request, collection, key, Ct),
            _ => await app.Functions.Delete(request, collection, key, Ct),
        };
        return await ActionResults.ExecuteAsync(result, request);
    }
}
