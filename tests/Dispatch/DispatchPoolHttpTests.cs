using Microsoft.Extensions.DependencyInjection;
using Serverless.Core.Dispatch;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>Pool management over HTTP and every bad-input answer.</summary>
[RedisBacked]
public sealed class DispatchPoolHttpTests(ServicesFixture services)
{
    private const string TwoTargets = """
        {"policy":"least-response-time","probePath":"/healthz","targets":[{"id":"a","url":"http://a.test:8080/api","weight":3},{"id":"b","url":"https://b.test"}]}
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 15_000)]
    public async Task PutCreatesThenReplacesKeepingHealthAndGetShowsLiveState()
    {
        // A stopped clock: the shown latency is decayed to "now", and a slow machine would otherwise decay it.
        using var app = await DispatchApp.StartAsync(services, time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow));

        var created = await PutAsync(app, "orders", TwoTargets);
        var held = (await app.Store.PickAsync("orders")).Lease!;
        await app.Store.RecordAsync("orders", "b", null, Outcome.Failure, TimeSpan.FromMilliseconds(42));
        var replaced = await PutAsync(app, "orders", TwoTargets.Replace("\"weight\":3", "\"weight\":4", StringComparison.Ordinal));
        var get = ActionResults.Request();
        var shown = await ActionResults.ExecuteAsync(await app.Pools.Get(get, "orders"), get);

        Assert.Equal(201, created.Status);
        Assert.Equal(200, replaced.Status);
        Assert.Equal(200, shown.Status);
        var json = shown.Json;
        Assert.Equal("least-response-time", json.GetProperty("policy").GetString());
        Assert.Equal("/healthz", json.GetProperty("probePath").GetString());
        var targets = json.GetProperty("targets").EnumerateArray().ToDictionary(t => t.GetProperty("id").GetString()!);
        Assert.Equal("http://a.test:8080/api", targets["a"].GetProperty("url").GetString());
        Assert.Equal(4, targets["a"].GetProperty("weight").GetInt32());
        Assert.Equal(4, targets["a"].GetProperty("effectiveWeight").GetDouble());
        Assert.Equal(1, targets[held.TargetId].GetProperty("inFlight").GetInt32());
        Assert.Equal(42, targets["b"].GetProperty("latencyEwmaMs").GetDouble(), 1);
        Assert.Equal(1, targets["b"].GetProperty("consecutiveFailures").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, targets["b"].GetProperty("ejectedUntil").ValueKind);
    }

    [Fact(Timeout = 15_000)]
    public async Task ReplacingATargetsAddressOrRemovingItDropsItsState()
    {
        using var app = await DispatchApp.StartAsync(services);
        await PutAsync(app, "moves", TwoTargets);
        await app.Store.RecordAsync("moves", "a", null, Outcome.Failure, TimeSpan.FromMilliseconds(9));

        await PutAsync(app, "moves", """{"policy":"round-robin","targets":[{"id":"a","url":"http://elsewhere.test"}]}""");

        var state = Assert.Single((await app.Store.GetAsync("moves"))!.Targets);
        Assert.Equal((0, 0.0), (state.ConsecutiveFailures, state.LatencyMs));
        // Target state lives in the pool hash as "{id}:{field}"; the removed target leaves no field and no lease set.
        var poolHash = Assert.Single(await app.KeysAsync(), k => k.EndsWith(":pool", StringComparison.Ordinal));
        var fields = await app.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().HashKeysAsync(poolHash);
        Assert.Contains(fields, f => f.ToString().StartsWith("a:", StringComparison.Ordinal));
        Assert.DoesNotContain(fields, f => f.ToString().StartsWith("b:", StringComparison.Ordinal));
        Assert.DoesNotContain(await app.KeysAsync(), k => k.EndsWith(":l:b", StringComparison.Ordinal));
    }

    [Fact(Timeout = 15_000)]
    public async Task DeleteRemovesThePoolWithAllItsKeysAndThen404s()
    {
        using var app = await DispatchApp.StartAsync(services);
        await PutAsync(app, "gone", TwoTargets);
        await app.Store.PickAsync("gone");

        var first = ActionResults.Request("DELETE");
        var deleted = await ActionResults.ExecuteAsync(await app.Pools.Delete(first, "gone"), first);
        var second = ActionResults.Request("DELETE");
        var again = await ActionResults.ExecuteAsync(await app.Pools.Delete(second, "gone"), second);

        Assert.Equal(204, deleted.Status);
        Assert.Equal(404, again.Status);
        Assert.True(again.IsProblem);
        Assert.Empty(await app.KeysAsync());
    }

    [Theory(Timeout = 15_000)]
    [InlineData("""{"policy":"round-robin","targets":[]}""", "non-empty")]
    [InlineData("""{"policy":"round-robin"}""", "non-empty")]
    [InlineData("""{"policy":"round-robin","targets":[{"url":"http://a.test","weight":-1}]}""", "weight")]
    [InlineData("""{"policy":"round-robin","targets":[{"url":"http://a.test","weight":0},{"url":"http://b.test","weight":0}]}""", "more than zero")]
    [InlineData("""{"policy":"round-robin","targets":[{"url":"http://a.test","weight":1.5}]}""", "whole number")]
    [InlineData("""{"policy":"round-robin","targets":[{"url":"http://a.test","weight":"2"}]}""", "whole number")]
    [InlineData("""{"policy":"round-robin","targets":[{"url":"not a url"}]}""", "url")]
    [InlineData("""{"policy":"round-robin","targets":[{"url":"ftp://a.test"}]}""", "url")]
    [InlineData("""{"policy":"round-robin","targets":[{"url":"/relative"}]}""", "url")]
    [InlineData("""{"policy":"round-robin","targets":[{"url":"http://user:pw@a.test"}]}""", "url")]
    [InlineData("""{"policy":"round-robin","targets":[{"url":"http://a.test/?q=1"}]}""", "url")]
    [InlineData("""{"policy":"round-robin","targets":[{"url":42}]}""", "url")]
    [InlineData("""{"policy":"round-robin","targets":[{"url":"http://a.test","queue":"jobs"}]}""", "exactly one")]
    [InlineData("""{"policy":"round-robin","targets":[{"weight":1}]}""", "exactly one")]
    [InlineData("""{"policy":"round-robin","targets":[{"queue":"Bad_Queue"}]}""", "queue")]
    [InlineData("""{"policy":"round-robin","targets":[{"id":"x","url":"http://a.test"},{"id":"x","url":"http://b.test"}]}""", "more than once")]
    [InlineData("""{"policy":"round-robin","targets":[{"id":"no spaces","url":"http://a.test"}]}""", "id")]
    [InlineData("""{"policy":"random","targets":[{"url":"http://a.test"}]}""", "policy")]
    [InlineData("""{"targets":[{"url":"http://a.test"}]}""", "policy")]
    [InlineData("""{"policy":"round-robin","probePath":"healthz","targets":[{"url":"http://a.test"}]}""", "probePath")]
    [InlineData("""[{"url":"http://a.test"}]""", "object")]
    [InlineData("""{"policy":"round-robin","passSetCookie":"yes","targets":[{"url":"http://a.test"}]}""", "passSetCookie")]
    [InlineData("""{"policy":""", "not valid JSON")]
    [InlineData("", "not valid JSON")]
    public async Task BadPoolIsRefusedWith400ProblemAndNothingIsWritten(string body, string mentions)
    {
        using var app = await DispatchApp.StartAsync(services);

        var response = await PutAsync(app, "bad", body);

        Assert.Equal(400, response.Status);
        Assert.True(response.IsProblem, response.ContentType);
        Assert.Contains(mentions, response.Json.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await app.KeysAsync());
    }

    [Theory(Timeout = 15_000)]
    [InlineData("has space")]
    [InlineData("pools")]
    [InlineData("a.b")]
    public async Task InvalidPoolNameIsRefusedWith400(string name)
    {
        using var app = await DispatchApp.StartAsync(services);

        var put = await PutAsync(app, name, TwoTargets);
        var request = ActionResults.Request();
        var get = await ActionResults.ExecuteAsync(await app.Pools.Get(request, name), request);

        Assert.Equal((400, 400), (put.Status, get.Status));
        Assert.True(put.IsProblem && get.IsProblem);
        Assert.Empty(await app.KeysAsync());
    }

    [Fact(Timeout = 15_000)]
    public async Task UnknownPoolIs404ForGetDeleteAndForward()
    {
        using var app = await DispatchApp.StartAsync(services);

        var get = ActionResults.Request();
        var delete = ActionResults.Request("DELETE");
        var forward = ActionResults.Request("POST", body: "{}");
        var responses = new[]
        {
            await ActionResults.ExecuteAsync(await app.Pools.Get(get, "nope"), get),
            await ActionResults.ExecuteAsync(await app.Pools.Delete(delete, "nope"), delete),
            await ActionResults.ExecuteAsync(await app.Forward.Forward(forward, "nope", "x", Ct), forward),
        };

        Assert.All(responses, r => Assert.Equal((404, true), (r.Status, r.IsProblem)));
    }

    [Fact(Timeout = 15_000)]
    public async Task ForwardToTheManagementSegmentIsRefusedAsAPoolName()
    {
        using var app = await DispatchApp.StartAsync(services);
        var request = ActionResults.Request("POST", body: "{}");

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "pools", "x", Ct), request);

        // Under the host the route constraint already keeps dispatch/pools/... away from this function.
        Assert.Equal((400, true), (response.Status, response.IsProblem));
    }

    [Fact(Timeout = 15_000)]
    public async Task OversizedForwardBodyIs413()
    {
        using var app = await DispatchApp.StartAsync(services, new() { ["Dispatch:MaxRequestBytes"] = "16" });
        await PutAsync(app, "small", TwoTargets);
        var request = ActionResults.Request("POST", body: new string('x', 17));

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "small", "", Ct), request);

        Assert.Equal((413, true), (response.Status, response.IsProblem));
    }

    private static async Task<ActionResults.Response> PutAsync(DispatchApp app, string pool, string body)
    {
        var request = ActionResults.Request("PUT", body: body);
        return await ActionResults.ExecuteAsync(await app.Pools.Put(request, pool, Ct), request);
    }
}
