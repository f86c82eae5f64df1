using Serverless.EndToEnd.Host;
using Serverless.Testing;
using Xunit;

namespace Serverless.EndToEnd.Sessions;

[RedisBacked]
public sealed class SessionEndToEndTests(HostFixture fixture)
{
    [Fact(Timeout = 60_000)]
    [Covers("CreateSession", "GetSession", "UpdateSession", "DeleteSession")]
    public async Task ASessionIsCreatedReadByCookieAndHeaderUpdatedWithIfMatchAndDeleted()
    {
        using var keyed = fixture.Client();
        using var anonymous = fixture.Client(key: false);

        var created = await Answer.SendAsync(keyed, HttpMethod.Post, "sessions", new { principal = Principal(), attributes = new { cart = 3 } });
        Assert.True(created.Status == 201, created.ToString());
        var id = created.Json.GetProperty("id").GetString()!;
        var cookie = created.Header("Set-Cookie")!;
        Assert.Contains($"__Host-sid={id}", cookie, StringComparison.Ordinal);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);

        var byCookie = await Answer.SendAsync(anonymous, HttpMethod.Get, "sessions/current", headers: new Dictionary<string, string> { ["Cookie"] = $"__Host-sid={id}" });
        Assert.True(byCookie.Status == 200, byCookie.ToString());
        Assert.Equal(3, byCookie.Json.GetProperty("attributes").GetProperty("cart").GetInt32());
        var etag = byCookie.Header("ETag")!;

        var updated = await Answer.SendAsync(anonymous, HttpMethod.Patch, "sessions/current", new { cart = 4, coupon = "E2E" }, Session(id, etag));
        Assert.True(updated.Status == 200, updated.ToString());
        Assert.NotEqual(etag, updated.Header("ETag"));
        var stale = await Answer.SendAsync(anonymous, HttpMethod.Patch, $"sessions/{id}", new { cart = 5 }, new Dictionary<string, string> { ["If-Match"] = etag });
        Assert.Equal(412, stale.Status);
        Assert.True(stale.IsProblem, stale.ToString());

        var byHeader = await Answer.SendAsync(anonymous, HttpMethod.Get, "sessions/current?attribute=coupon", headers: Session(id));
        Assert.True(byHeader.Status == 200, byHeader.ToString());
        Assert.Contains("E2E", byHeader.Body, StringComparison.Ordinal);
        var whole = await Answer.SendAsync(anonymous, HttpMethod.Get, $"sessions/{id}");
        Assert.Equal(4, whole.Json.GetProperty("attributes").GetProperty("cart").GetInt32());

        Assert.Equal(204, (await Answer.SendAsync(anonymous, HttpMethod.Delete, $"sessions/{id}")).Status);
        Assert.Equal(404, (await Answer.SendAsync(anonymous, HttpMethod.Get, $"sessions/{id}")).Status);
    }

    [Fact(Timeout = 60_000)]
    [Covers("RotateSession", "RevokePrincipalSessions")]
    public async Task RotationKillsTheOldIdAndRevokeAllEndsEverySessionOfThePrincipal()
    {
        using var keyed = fixture.Client();
        using var anonymous = fixture.Client(key: false);
        var principal = Principal();
        var first = (await Answer.SendAsync(keyed, HttpMethod.Post, "sessions", new { principal, attributes = new { a = 1 } })).Json.GetProperty("id").GetString()!;
        var second = (await Answer.SendAsync(keyed, HttpMethod.Post, "sessions", new { principal })).Json.GetProperty("id").GetString()!;

        var rotated = await Answer.SendAsync(anonymous, HttpMethod.Post, "sessions/current/rotate", headers: Session(first));
        Assert.True(rotated.Status is 200 or 201, rotated.ToString());
        var renewed = rotated.Json.GetProperty("id").GetString()!;
        Assert.NotEqual(first, renewed);
        Assert.Equal(404, (await Answer.SendAsync(anonymous, HttpMethod.Get, $"sessions/{first}")).Status);
        Assert.Equal(1, (await Answer.SendAsync(anonymous, HttpMethod.Get, $"sessions/{renewed}")).Json.GetProperty("attributes").GetProperty("a").GetInt32());

        var revoked = await Answer.SendAsync(keyed, HttpMethod.Delete, $"principals/{principal}/sessions");
        Assert.True(revoked.Status == 200, revoked.ToString());
        Assert.Equal(2, revoked.Json.GetProperty("revoked").GetInt32());
        Assert.Equal(404, (await Answer.SendAsync(anonymous, HttpMethod.Get, $"sessions/{renewed}")).Status);
        Assert.Equal(404, (await Answer.SendAsync(anonymous, HttpMethod.Get, $"sessions/{second}")).Status);
    }

    private static string Principal() => $"user-{Guid.NewGuid():N}"[..20];

    private static Dictionary<string, string> Session(string id, string? ifMatch = null)
    {
        var headers = new Dictionary<string, string> { ["Authorization"] = $"Session {id}" };
        if (ifMatch is not null)
        {
            headers["If-Match"] = ifMatch;
        }

        return headers;
    }
}
