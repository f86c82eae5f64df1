using System.Net;
using Serverless.Core.Dispatch;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>RFC 9110 proxy rules: what crosses the proxy each way, what failures reveal, where paths may go, leases.</summary>
[RedisBacked]
public sealed class DispatchProxyRulesTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 15_000)]
    public async Task CallerCredentialsAndHopByHopHeadersStayHereAndXForwardedIsOurs()
    {
        await using var backend = await Backend.StartAsync("clean");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("clean", $$"""{"policy":"round-robin","targets":[{"id":"clean","url":"{{backend.Url}}"}]}""");
        var request = ActionResults.Request("GET", headers: new Dictionary<string, string>
        {
            ["Authorization"] = "Bearer caller-token",
            ["Cookie"] = "session=caller",
            ["X-MS-CLIENT-PRINCIPAL"] = "eyJ9",
            ["X-MS-CLIENT-PRINCIPAL-ID"] = "user-1",
            ["X-MS-CLIENT-PRINCIPAL-NAME"] = "alice",
            ["x-functions-key"] = "key",
            ["X-Forwarded-For"] = "6.6.6.6",
            ["X-Forwarded-Host"] = "evil.example",
            ["X-Forwarded-Proto"] = "gopher",
            ["Connection"] = "X-Hop-Secret",
            ["X-Hop-Secret"] = "named by Connection",
            ["Keep-Alive"] = "timeout=5",
            ["Upgrade"] = "websocket",
            ["Proxy-Authorization"] = "Basic cHJveHk=",
            ["X-Custom"] = "kept",
        });
        request.HttpContext.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.9");
        request.Scheme = "https";
        request.Host = new Microsoft.AspNetCore.Http.HostString("app.example");

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "clean", "x", Ct), request);

        Assert.Equal(200, response.Status);
        var seen = Assert.Single(backend.Seen).Headers;
        foreach (var name in new[] { "Authorization", "Cookie", "X-MS-CLIENT-PRINCIPAL", "X-MS-CLIENT-PRINCIPAL-ID", "X-MS-CLIENT-PRINCIPAL-NAME", "x-functions-key", "X-Hop-Secret", "Keep-Alive", "Upgrade", "Proxy-Authorization" })
        {
            Assert.False(seen.ContainsKey(name), $"{name} reached the target");
        }

        Assert.Equal(("203.0.113.9", "https", "app.example"), (seen["X-Forwarded-For"], seen["X-Forwarded-Proto"], seen["X-Forwarded-Host"]));
        Assert.Equal("kept", seen["X-Custom"]);
    }

    [Theory(Timeout = 15_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TargetSetCookieIsRelayedOnlyWhenThePoolAllowsIt(bool passSetCookie)
    {
        await using var backend = await Backend.StartAsync("cookie");
        backend.ResponseHeaders["Set-Cookie"] = "session=fixed; Path=/";
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("cookie", $$"""{"policy":"round-robin","passSetCookie":{{(passSetCookie ? "true" : "false")}},"targets":[{"id":"cookie","url":"{{backend.Url}}"}]}""");
        var request = ActionResults.Request("GET");

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "cookie", "x", Ct), request);

        Assert.Equal(200, response.Status);
        Assert.Equal("cookie", response.Headers["X-Backend"].ToString());
        Assert.Equal(passSetCookie, response.Headers.ContainsKey("Set-Cookie"));
    }

    [Fact(Timeout = 15_000)]
    public async Task UnreachableTargetAnswers502WithoutItsAddressOrSocketError()
    {
        string url;
        await using (var gone = await Backend.StartAsync("gone"))
        {
            url = gone.Url;
        }

        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("gone", $$"""{"policy":"round-robin","targets":[{"id":"gone","url":"{{url}}"}]}""");
        var request = ActionResults.Request("GET");

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "gone", "x", Ct), request);

        Assert.Equal((502, true), (response.Status, response.IsProblem));
        Assert.Equal(TargetSender.UnreachableDetail, response.Json.GetProperty("detail").GetString());
        Assert.DoesNotContain("127.0.0.1", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(new Uri(url).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("refused", response.Body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact(Timeout = 15_000)]
    public async Task SlowTargetAnswers504WithAGenericDetail()
    {
        await using var slow = await Backend.StartAsync("slow", delay: TimeSpan.FromSeconds(10));
        using var app = await DispatchApp.StartAsync(services, new() { ["Dispatch:Timeout"] = "00:00:00.300" });
        await app.SavePoolAsync("slow", $$"""{"policy":"round-robin","targets":[{"id":"slow","url":"{{slow.Url}}"}]}""");
        var request = ActionResults.Request("GET");

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "slow", "x", Ct), request);

        Assert.Equal((504, true), (response.Status, response.IsProblem));
        Assert.Equal(TargetSender.TimedOutDetail, response.Json.GetProperty("detail").GetString());
    }

    [Theory(Timeout = 15_000)]
    [InlineData("../admin")]
    [InlineData("a/../../admin")]
    [InlineData("a/%2e%2e/%2e%2e/admin")]
    [InlineData("%252e%252e/admin")]
    [InlineData("a%2Fb")]
    [InlineData("a%5C..%5Cadmin")]
    [InlineData("a\\..\\admin")]
    [InlineData("http://evil.test/x")]
    public async Task ForwardedPathCannotLeaveTheTargetsBasePath(string path)
    {
        await using var backend = await Backend.StartAsync("based");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("based", $$"""{"policy":"round-robin","targets":[{"id":"based","url":"{{backend.Url}}/base"}]}""");
        var request = ActionResults.Request("GET");

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "based", path, Ct), request);

        Assert.Equal((400, true), (response.Status, response.IsProblem));
        Assert.Equal(0, backend.Requests);
    }

    [Theory(Timeout = 15_000)]
    [InlineData("../admin")]
    [InlineData("%2e%2e/admin")]
    [InlineData("//evil.test/x")]
    [InlineData("http://evil.test/x")]
    public void QueuedRequestCannotLeaveTheTargetsBasePath(string path)
    {
        var (message, error) = DispatchMessage.Parse($$"""{"pool":"p","path":{{System.Text.Json.JsonSerializer.Serialize(path)}}}""");

        Assert.Null(message);
        Assert.Contains("path", error, StringComparison.Ordinal);
    }

    [Fact(Timeout = 15_000)]
    public async Task AnAttemptThatThrowsReleasesItsLease()
    {
        await using var backend = await Backend.StartAsync("held");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("held", $$"""{"policy":"round-robin","targets":[{"id":"held","url":"{{backend.Url}}"}]}""");

        // An invalid method token makes the HTTP request itself throw, after the lease was taken.
        await Assert.ThrowsAnyAsync<Exception>(() => app.Forwarder.ForwardAsync(new ForwardRequest("held", "BAD METHOD", "/x", [], default), Ct));

        var state = Assert.Single((await app.Store.GetAsync("held"))!.Targets);
        Assert.Equal(0, state.InFlight);
    }
}

/// <summary>The header rules alone, for headers a real backend's server would not let through.</summary>
public sealed class ForwardHeaderRulesTests
{
    [Fact(Timeout = 5_000)]
    public void TargetHopByHopHeadersAndThoseConnectionNamesAreNotRelayed()
    {
        List<KeyValuePair<string, string>> fromTarget =
        [
            new("Connection", "close, X-Internal-Trace"), new("X-Internal-Trace", "10.1.2.3"), new("Keep-Alive", "timeout=5"),
            new("Transfer-Encoding", "chunked"), new("Trailer", "X-Checksum"), new("Upgrade", "h2c"), new("Proxy-Authenticate", "Basic"),
            new("Set-Cookie", "a=1"), new("Set-Cookie2", "b=2"), new("Content-Type", "text/plain"), new("ETag", "\"v1\""),
        ];

        var relayed = ForwardHeaders.Incoming(fromTarget, passSetCookie: false).Select(h => h.Key).ToList();

        Assert.Equal(["Content-Type", "ETag"], relayed);
    }

    [Fact(Timeout = 5_000)]
    public void CallerHeadersNamedByConnectionAndTrailerFieldsAreNotSent()
    {
        List<KeyValuePair<string, string>> fromCaller =
        [
            new("Connection", "X-Client-Secret"), new("X-Client-Secret", "s"), new("TE", "trailers"), new("Trailer", "X"),
            new("Transfer-Encoding", "chunked"), new("Proxy-Connection", "keep-alive"), new("Forwarded", "for=6.6.6.6"), new("Accept", "*/*"),
        ];

        var sent = ForwardHeaders.Outgoing(fromCaller, null).Select(h => h.Key).ToList();

        Assert.Equal(["Accept"], sent);
    }
}
