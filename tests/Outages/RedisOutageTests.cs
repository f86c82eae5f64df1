using Serverless.Testing;
using StackExchange.Redis;
using Xunit;
using static Serverless.Tests.Outages.OutageAssertions;

namespace Serverless.Tests.Outages;

/// <summary>
/// A real redis-server killed, frozen and restarted under a running app: HTTP calls answer 503 with Retry-After
/// at once instead of stalling into a 500, health names Redis, and the same app serves again when Redis returns.
/// </summary>
public sealed class RedisOutageTests(ServicesFixture services)
{
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 90_000)]
    public async Task SessionReadAndCreateAnswer503WhileRedisIsDownAndWorkAgainWhenItReturns()
    {
        await using var redis = await OwnRedisServer.StartAsync(persistence: true);
        using var app = await OutageApp.StartAsync(services, redis);
        var id = (await CreateSessionAsync(app)).Json.GetProperty("id").GetString()!;

        await redis.StopAsync();
        var (read, readTook) = await TimedAsync("session GET, Redis down", () => GetSessionAsync(app, id));
        var (create, createTook) = await TimedAsync("session POST, Redis down", () => CreateSessionAsync(app));

        IsOutage(read);
        IsOutage(create);
        // FailFast governs: the command is refused at once, it does not wait in the backlog for a connection.
        var cause = Assert.IsType<RedisConnectionException>(LastCause(app));
        Assert.DoesNotContain("backlog", cause.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(readTook < StallGuard && createTook < StallGuard, $"GET {readTook}, POST {createTook}");

        await redis.RestartAsync();
        var again = await UntilAsync("session GET after restart", () => GetSessionAsync(app, id), 200, Recovery);
        Assert.Equal(200, again.Status);
        Assert.Equal("dark", again.Json.GetProperty("attributes").GetProperty("theme").GetString());
        Assert.Equal(201, (await CreateSessionAsync(app)).Status);
    }

    [Fact(Timeout = 90_000)]
    public async Task RedisLockAcquireAnswers503AtOnceWhileRedisIsDownAndGrantsAgainWhenItReturns()
    {
        await using var redis = await OwnRedisServer.StartAsync(persistence: true);
        using var app = await OutageApp.StartAsync(services, redis);
        var before = await AcquireAsync(app, "before");
        Assert.Equal(200, before.Status);

        await redis.StopAsync();
        // A waiting acquire must not keep retrying for its 10 s: the first failed try is the answer.
        var (down, took) = await TimedAsync("lock acquire (waitMs 10000), Redis down", () => AcquireAsync(app, "during", waitMs: 10_000));

        IsOutage(down);
        Assert.IsType<RedisConnectionException>(LastCause(app));
        Assert.True(took < StallGuard, $"{took}");

        await redis.RestartAsync();
        var granted = await UntilAsync("lock acquire after restart", () => AcquireAsync(app, "during"), 200, Recovery);
        Assert.Equal("Granted", granted.Json.GetProperty("outcome").GetString());
    }

    [Fact(Timeout = 90_000)]
    public async Task DispatchPickAnswers503WithoutSendingWhileRedisIsDownAndForwardsAgainWhenItReturns()
    {
        await using var backend = await Backend.StartAsync("only");
        await using var redis = await OwnRedisServer.StartAsync(persistence: true);
        using var app = await OutageApp.StartAsync(services, redis);
        var put = ActionResults.Request("PUT", body: $$"""{"policy":"round-robin","targets":[{"id":"only","url":"{{backend.Url}}"}]}""");
        Assert.Equal(201, (await app.CallAsync(put, () => app.Pools.Put(put, "outage", Ct))).Status);
        Assert.Equal(200, (await ForwardAsync(app)).Status);

        await redis.StopAsync();
        var (down, took) = await TimedAsync("dispatch forward, Redis down", () => ForwardAsync(app));

        IsOutage(down);
        Assert.Equal(1, backend.Requests);
        Assert.True(took < StallGuard, $"{took}");

        await redis.RestartAsync();
        var relayed = await UntilAsync("dispatch forward after restart", () => ForwardAsync(app), 200, Recovery);
        Assert.Equal(200, relayed.Status);
        Assert.Equal(2, backend.Requests);
    }

    [Fact(Timeout = 90_000)]
    public async Task HealthNamesRedisAsDownAtOnceWhileStorageStaysUpAndRecoversWhenRedisReturns()
    {
        await using var redis = await OwnRedisServer.StartAsync(persistence: true);
        using var app = await OutageApp.StartAsync(services, redis);
        Assert.Equal(200, (await HealthAsync(app)).Status);

        await redis.StopAsync();
        var (down, took) = await TimedAsync("health, Redis down", () => HealthAsync(app));

        Assert.Equal(503, down.Status);
        var entries = Dependencies(down);
        Assert.False(entries["redis"].GetProperty("ok").GetBoolean());
        Assert.False(string.IsNullOrEmpty(entries["redis"].GetProperty("error").GetString()));
        Assert.All(entries.Where(e => e.Key.StartsWith("storage", StringComparison.Ordinal)), e => Assert.True(e.Value.GetProperty("ok").GetBoolean()));
        Assert.True(took < StallGuard, $"{took}");

        await redis.RestartAsync();
        Assert.Equal(200, (await UntilAsync("health after restart", () => HealthAsync(app), 200, Recovery)).Status);
    }

    [Fact(Timeout = 90_000)]
    public async Task FrozenRedisAnswers503AfterTheConfiguredOperationTimeoutAndServesAgainWhenThawed()
    {
        await using var redis = await OwnRedisServer.StartAsync(persistence: true);
        using var app = await OutageApp.StartAsync(services, redis, new() { ["Redis:OperationTimeout"] = "00:00:00.500" });
        var id = (await CreateSessionAsync(app)).Json.GetProperty("id").GetString()!;

        await redis.FreezeAsync();
        var (read, readTook) = await TimedAsync("session GET, Redis frozen (timeout 500 ms)", () => GetSessionAsync(app, id));
        var (health, healthTook) = await TimedAsync("health, Redis frozen (timeout 500 ms)", () => HealthAsync(app));

        IsOutage(read);
        // The connection is still up, so the command waits for an answer: Redis:OperationTimeout decides how long.
        var cause = Assert.IsType<RedisTimeoutException>(LastCause(app));
        Assert.Contains("timeout is 500ms", cause.Message, StringComparison.Ordinal);
        Assert.Equal(503, health.Status);
        // The health answer waits for every check, the Storage ones on the run's shared (and busy) Azurite too: the
        // guard is on the Redis check's own duration, which the operation timeout governs.
        var checks = Dependencies(health);
        var redisCheck = TimeSpan.FromMilliseconds(checks["redis"].GetProperty("latencyMs").GetDouble());
        Assert.False(checks["redis"].GetProperty("ok").GetBoolean());
        Assert.True(readTook < StallGuard && redisCheck < StallGuard,
            $"GET {readTook}, health {healthTook} (" + string.Join(", ", checks.Select(c => $"{c.Key} {c.Value.GetProperty("latencyMs").GetDouble()} ms")) + ")");

        await redis.ThawAsync();
        Assert.Equal(200, (await UntilAsync("session GET after thaw", () => GetSessionAsync(app, id), 200, Recovery)).Status);
    }

    private static Task<ActionResults.Response> CreateSessionAsync(OutageApp app)
    {
        var request = ActionResults.Request("POST", body: """{"attributes":{"theme":"dark"}}""");
        return app.CallAsync(request, () => app.Sessions.Create(request, Ct));
    }

    private static Task<ActionResults.Response> GetSessionAsync(OutageApp app, string id)
    {
        var request = ActionResults.Request();
        return app.CallAsync(request, () => app.Sessions.Get(request, id));
    }

    private static Task<ActionResults.Response> AcquireAsync(OutageApp app, string name, int waitMs = 0)
    {
        var request = ActionResults.Request("POST", body: $$"""{"owner":"o","leaseMs":30000,"waitMs":{{waitMs}}}""");
        // The redis backend needs no durable client.
        return app.CallAsync(request, () => app.Locks.Act(request, "redis", name, "acquire", null!, Ct));
    }

    private static Task<ActionResults.Response> ForwardAsync(OutageApp app)
    {
        var request = ActionResults.Request("POST", body: "{}");
        return app.CallAsync(request, () => app.Forward.Forward(request, "outage", "orders", Ct));
    }

    private static async Task<ActionResults.Response> HealthAsync(OutageApp app)
    {
        var request = ActionResults.Request();
        return await ActionResults.ExecuteAsync(await app.Health.Run(request, Ct), request);
    }
}
