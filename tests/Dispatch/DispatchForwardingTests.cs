using System.Text;
using System.Text.Json;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>The forwarding function end to end: real loopback backends, results executed like the host does.</summary>
[RedisBacked]
public sealed class DispatchForwardingTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 15_000)]
    public async Task ForwardRelaysStatusHeadersAndBodyNamesTheTargetAndKeepsTheFunctionKeyBack()
    {
        await using var backend = await Backend.StartAsync("only", status: 201);
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("relay", $$"""{"policy":"round-robin","targets":[{"id":"only","url":"{{backend.Url}}/base"}]}""");
        var request = ActionResults.Request("POST", "?x=1&code=secret", """{"n":1}""", new Dictionary<string, string>
        {
            ["x-functions-key"] = "secret",
            ["X-Custom"] = "kept",
        });

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "relay", "items/7", Ct), request);

        Assert.Equal(201, response.Status);
        Assert.Equal("only", response.Body);
        Assert.Equal("only", response.Headers["X-Dispatch-Target"].ToString());
        Assert.Equal("only", response.Headers["X-Backend"].ToString());
        var seen = Assert.Single(backend.Seen);
        Assert.Equal(("POST", "/base/items/7?x=1", """{"n":1}"""), (seen.Method, seen.PathAndQuery, seen.Body));
        Assert.Equal("kept", seen.Headers["X-Custom"]);
        Assert.Equal("application/json", seen.Headers["Content-Type"]);
        Assert.False(seen.Headers.ContainsKey("x-functions-key"));
    }

    [Theory(Timeout = 15_000)]
    [InlineData("PUT", null)]
    [InlineData("GET", null)]
    [InlineData("POST", "order-42")]
    public async Task FailedAttemptIsRetriedOnceOnADifferentTargetWhenSafe(string method, string? idempotencyKey)
    {
        await using var bad = await Backend.StartAsync("bad", status: 503);
        await using var good = await Backend.StartAsync("good");
        using var app = await DispatchApp.StartAsync(services);
        // Round robin starts at the first target, so the first attempt always meets the failing one.
        await app.SavePoolAsync("retry", $$"""{"policy":"round-robin","targets":[{"id":"bad","url":"{{bad.Url}}"},{"id":"good","url":"{{good.Url}}"}]}""");
        var headers = idempotencyKey is null ? null : new Dictionary<string, string> { ["Idempotency-Key"] = idempotencyKey };
        var request = ActionResults.Request(method, body: method == "GET" ? null : "{}", headers: headers);

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "retry", "r", Ct), request);

        Assert.Equal(200, response.Status);
        Assert.Equal("good", response.Headers["X-Dispatch-Target"].ToString());
        Assert.Equal((1, 1), (bad.Requests, good.Requests));
        if (idempotencyKey is not null)
        {
            Assert.Equal(idempotencyKey, Assert.Single(good.Seen).Headers["Idempotency-Key"]);
        }
    }

    [Fact(Timeout = 15_000)]
    public async Task NonIdempotentRequestWithoutIdempotencyKeyIsNotRetried()
    {
        await using var bad = await Backend.StartAsync("bad", status: 503);
        await using var good = await Backend.StartAsync("good");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("noretry", $$"""{"policy":"round-robin","targets":[{"id":"bad","url":"{{bad.Url}}"},{"id":"good","url":"{{good.Url}}"}]}""");
        var request = ActionResults.Request("POST", body: "{}");

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "noretry", "r", Ct), request);

        Assert.Equal(503, response.Status);
        Assert.Equal("bad", response.Headers["X-Dispatch-Target"].ToString());
        Assert.Equal((1, 0), (bad.Requests, good.Requests));
    }

    [Fact(Timeout = 15_000)]
    public async Task ConnectFailureIsRetriedOnAnotherTarget()
    {
        await using var good = await Backend.StartAsync("good");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("refused", $$"""
            {"policy":"round-robin","targets":[{"id":"dead","url":"http://127.0.0.1:{{ListeningSockets.FreePort()}}"},{"id":"good","url":"{{good.Url}}"}]}
            """);
        var request = ActionResults.Request("GET");

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "refused", "", Ct), request);

        Assert.Equal(200, response.Status);
        Assert.Equal("good", response.Headers["X-Dispatch-Target"].ToString());
        Assert.Equal(1, (await app.Store.GetAsync("refused"))!.Targets.Single(t => t.Id == "dead").ConsecutiveFailures);
    }

    [Fact(Timeout = 15_000)]
    public async Task TimeoutWithNoOtherTargetAnswers504AndReleasesTheLease()
    {
        await using var slow = await Backend.StartAsync("slow", TimeSpan.FromSeconds(5));
        using var app = await DispatchApp.StartAsync(services, new() { ["Dispatch:Timeout"] = "00:00:00.300" });
        await app.SavePoolAsync("timeout", $$"""{"policy":"least-connections","targets":[{"id":"slow","url":"{{slow.Url}}"}]}""");
        var request = ActionResults.Request("GET");

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "timeout", "", Ct), request);

        Assert.Equal(504, response.Status);
        Assert.True(response.IsProblem, response.ContentType);
        var state = (await app.Store.GetAsync("timeout"))!.Targets.Single();
        Assert.Equal((0, 1), (state.InFlight, state.ConsecutiveFailures));
    }

    [Fact(Timeout = 15_000)]
    public async Task QueueTargetReceivesTheRequestAsAMessageAndAnswers202()
    {
        var queueName = $"dispatch-{Guid.NewGuid():N}"[..30];
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("queued", $$"""{"policy":"round-robin","targets":[{"id":"work","queue":"{{queueName}}"}]}""");
        var request = ActionResults.Request("POST", body: """{"job":7}""");

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "queued", "jobs", Ct), request);

        Assert.Equal(202, response.Status);
        Assert.Equal("work", response.Headers["X-Dispatch-Target"].ToString());
        var message = (await app.Storage.Queues.GetQueueClient(queueName).ReceiveMessageAsync(cancellationToken: Ct)).Value;
        var envelope = JsonDocument.Parse(message.MessageText).RootElement;
        Assert.Equal("POST", envelope.GetProperty("method").GetString());
        Assert.Equal("/jobs", envelope.GetProperty("path").GetString());
        Assert.Equal("""{"job":7}""", Encoding.UTF8.GetString(envelope.GetProperty("body").GetBytesFromBase64()));
    }
}
