using Serverless.Testing;
using Xunit;
using static Serverless.Tests.Sessions.SessionApp;

namespace Serverless.Tests.Sessions;

[RedisBacked]
public sealed class SessionHttpTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 15_000)]
    public async Task CreateSetsASecureHttpOnlyLaxCookieThatIdentifiesTheSession()
    {
        using var app = await StartAsync(services);
        var request = ActionResults.Request("POST", body: """{"principal":"ada","attributes":{"theme":"dark"}}""");

        var created = await ActionResults.ExecuteAsync(await app.Functions.Create(request, Ct), request);

        Assert.Equal(201, created.Status);
        var cookie = created.Headers.SetCookie.ToString();
        var id = created.Json.GetProperty("id").GetString()!;
        Assert.StartsWith($"{app.Options.CookieName}={id}", cookie, StringComparison.Ordinal);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);

        var byCookie = ActionResults.Request(headers: new Dictionary<string, string> { ["Cookie"] = $"{app.Options.CookieName}={id}" });
        var viaCookie = await ActionResults.ExecuteAsync(await app.Functions.Get(byCookie, "current"), byCookie);
        var byHeader = ActionResults.Request(headers: new Dictionary<string, string> { ["Authorization"] = $"Session {id}" });
        var viaHeader = await ActionResults.ExecuteAsync(await app.Functions.Get(byHeader, "current"), byHeader);
        Assert.Equal("dark", viaCookie.Json.GetProperty("attributes").GetProperty("theme").GetString());
        Assert.Equal("ada", viaHeader.Json.GetProperty("principal").GetString());
    }

    [Fact(Timeout = 15_000)]
    public async Task PatchWithAStaleIfMatchAnswers412AndChangesNothing()
    {
        using var app = await StartAsync(services);
        var session = (await app.Store.CreateAsync(null, Attributes(("n", 1)))).Session!;
        await app.Store.UpdateAsync(session.Id, Attributes(("n", 2)));

        var stale = ActionResults.Request("PATCH", body: """{"n":3}""", headers: new Dictionary<string, string> { ["If-Match"] = $"\"{session.Version}\"" });
        var response = await ActionResults.ExecuteAsync(await app.Functions.Update(stale, session.Id, Ct), stale);

        Assert.Equal(412, response.Status);
        Assert.True(response.IsProblem, response.ContentType);
        Assert.Equal(2, (await app.Store.GetAsync(session.Id)).Session!.Attributes["n"].GetInt32());
    }

    [Fact(Timeout = 15_000)]
    public async Task PatchWithTheCurrentIfMatchAppliesAndReturnsTheNewETag()
    {
        using var app = await StartAsync(services);
        var session = (await app.Store.CreateAsync(null)).Session!;

        var request = ActionResults.Request("PATCH", body: """{"n":3}""", headers: new Dictionary<string, string> { ["If-Match"] = $"\"{session.Version}\"" });
        var response = await ActionResults.ExecuteAsync(await app.Functions.Update(request, session.Id, Ct), request);

        Assert.Equal(200, response.Status);
        Assert.Equal($"\"{session.Version + 1}\"", response.Headers.ETag.ToString());
    }

    [Fact(Timeout = 15_000)]
    public async Task RotateAnswersTheNewIdInBodyAndCookieAndTheOldIdIs404()
    {
        using var app = await StartAsync(services);
        var old = (await app.Store.CreateAsync("ada")).Session!;

        var request = ActionResults.Request("POST");
        var rotated = await ActionResults.ExecuteAsync(await app.Lifecycle.Rotate(request, old.Id), request);
        var oldGet = ActionResults.Request();
        var gone = await ActionResults.ExecuteAsync(await app.Functions.Get(oldGet, old.Id), oldGet);

        var newId = rotated.Json.GetProperty("id").GetString()!;
        Assert.Equal(200, rotated.Status);
        Assert.Contains(newId, rotated.Headers.SetCookie.ToString(), StringComparison.Ordinal);
        Assert.Equal(404, gone.Status);
    }

    [Fact(Timeout = 15_000)]
    public async Task RevokeAllAnswersTheNumberRevoked()
    {
        using var app = await StartAsync(services);
        await app.Store.CreateAsync("ada");
        await app.Store.CreateAsync("ada");

        var request = ActionResults.Request("DELETE");
        var response = await ActionResults.ExecuteAsync(await app.Lifecycle.RevokeAll(request, "ada"), request);

        Assert.Equal(2, response.Json.GetProperty("revoked").GetInt32());
    }

    public static TheoryData<string, string, int> BadPatches => new()
    {
        { "invalid JSON", """{"a":""", 400 },
        { "not an object", """[1,2]""", 400 },
        { "bad attribute name", """{"no spaces":1}""", 400 },
        { "value too large", $$"""{"big":"{{new string('x', 300)}}"}""", 413 },
        { "too many attributes", """{"a":1,"b":2,"c":3,"d":4,"e":5}""", 413 },
    };

    [Theory(Timeout = 15_000)]
    [MemberData(nameof(BadPatches))]
    public async Task BadPatchIsRefusedAndWritesNothing(string why, string body, int status)
    {
        using var app = await StartAsync(services, new() { ["Sessions:MaxAttributes"] = "4", ["Sessions:MaxValueBytes"] = "256" });
        var session = (await app.Store.CreateAsync(null, Attributes(("keep", 1)))).Session!;

        var request = ActionResults.Request("PATCH", body: body);
        var response = await ActionResults.ExecuteAsync(await app.Functions.Update(request, session.Id, Ct), request);

        Assert.True(status == response.Status, $"{why}: expected {status}, got {response.Status} {response.Body}");
        Assert.True(response.IsProblem, response.ContentType);
        var after = (await app.Store.GetAsync(session.Id)).Session!;
        Assert.Equal(session.Version, after.Version);
        Assert.Equal(["keep"], after.Attributes.Keys);
    }

    [Fact(Timeout = 15_000)]
    public async Task AddingPastTheAttributeLimitInSeveralPatchesAnswers413()
    {
        using var app = await StartAsync(services, new() { ["Sessions:MaxAttributes"] = "2" });
        var session = (await app.Store.CreateAsync(null, Attributes(("a", 1), ("b", 2)))).Session!;

        var request = ActionResults.Request("PATCH", body: """{"c":3}""");
        var response = await ActionResults.ExecuteAsync(await app.Functions.Update(request, session.Id, Ct), request);

        Assert.Equal(413, response.Status);
        Assert.Equal(2, (await app.Store.GetAsync(session.Id)).Session!.Attributes.Count);
    }

    [Theory(Timeout = 15_000)]
    [InlineData("not-an-id", 400)]
    [InlineData("current", 400)]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 404)]
    public async Task UnusableIdsAnswerProblemJson(string id, int status)
    {
        using var app = await StartAsync(services);

        var request = ActionResults.Request();
        var response = await ActionResults.ExecuteAsync(await app.Functions.Get(request, id), request);

        Assert.Equal(status, response.Status);
        Assert.True(response.IsProblem, response.ContentType);
    }

    [Fact(Timeout = 15_000)]
    public async Task MalformedIfMatchAnswers400()
    {
        using var app = await StartAsync(services);
        var session = (await app.Store.CreateAsync(null)).Session!;

        var request = ActionResults.Request("PATCH", body: "{}", headers: new Dictionary<string, string> { ["If-Match"] = "\"abc\"" });
        var response = await ActionResults.ExecuteAsync(await app.Functions.Update(request, session.Id, Ct), request);

        Assert.Equal(400, response.Status);
    }

    [Fact(Timeout = 15_000)]
    public async Task CreateBeyondThePrincipalLimitWithRejectPolicyAnswers409AndWritesNothing()
    {
        using var app = await StartAsync(services, new() { ["Sessions:MaxSessionsPerPrincipal"] = "1", ["Sessions:PrincipalLimitPolicy"] = "Reject" });
        await app.Store.CreateAsync("ada");
        var before = (await app.KeysAsync()).Count;

        var request = ActionResults.Request("POST", body: """{"principal":"ada"}""");
        var response = await ActionResults.ExecuteAsync(await app.Functions.Create(request, Ct), request);

        Assert.Equal(409, response.Status);
        Assert.Equal(before, (await app.KeysAsync()).Count);
    }

    [Theory(Timeout = 15_000)]
    [InlineData("""{"principal":42}""")]
    [InlineData("""{"attributes":[1]}""")]
    [InlineData("""{"principal":""}""")]
    [InlineData("""{"attributes":{"bad name":1}}""")]
    public async Task CreateWithABadBodyAnswers400AndWritesNothing(string body)
    {
        using var app = await StartAsync(services);

        var request = ActionResults.Request("POST", body: body);
        var response = await ActionResults.ExecuteAsync(await app.Functions.Create(request, Ct), request);

        Assert.Equal(400, response.Status);
        Assert.Empty(await app.KeysAsync());
    }
}
