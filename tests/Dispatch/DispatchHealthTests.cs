using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Dispatch;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>Passive ejection, growing backoff, slow start, all-ejected answers and the active probe.</summary>
[RedisBacked]
public sealed class DispatchHealthTests(ServicesFixture services)
{
    private static readonly Dictionary<string, string?> Health = new()
    {
        ["Dispatch:FailureThreshold"] = "3",
        ["Dispatch:EjectionBase"] = "00:00:10",
        ["Dispatch:EjectionMax"] = "00:00:40",
        ["Dispatch:SlowStart"] = "00:00:20",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task FailingBackendIsEjectedTrafficMovesAndItReturnsWithSlowStart()
    {
        await using var good = await Backend.StartAsync("good");
        await using var bad = await Backend.StartAsync("bad", status: 503);
        var clock = DispatchApp.Clock();
        using var app = await DispatchApp.StartAsync(services, Health, clock);
        await app.SavePoolAsync("health", $$"""
            {"policy":"weighted-round-robin","targets":[{"id":"good","url":"{{good.Url}}"},{"id":"bad","url":"{{bad.Url}}"}]}
            """);

        // POST without Idempotency-Key: no retry, so each failure is visible. Three failures eject bad.
        var answeredBy = new List<string?>();
        for (var i = 0; i < 12; i++)
        {
            answeredBy.Add((await ForwardAsync(app)).TargetId);
        }

        Assert.Equal(3, bad.Requests);
        Assert.All(answeredBy.Skip(6), t => Assert.Equal("good", t));
        var ejected = (await app.Store.GetAsync("health"))!.Targets.Single(t => t.Id == "bad");
        Assert.Equal(clock.GetUtcNow().AddSeconds(10).ToUnixTimeMilliseconds(), ejected.EjectedUntil!.Value.ToUnixTimeMilliseconds());
        Assert.Equal(0, ejected.EffectiveWeight);

        // Readmitted after the backoff, at almost no weight: slow start.
        bad.Status = 200;
        clock.Advance(TimeSpan.FromSeconds(10));
        var readmitted = (await app.Store.GetAsync("health"))!.Targets.Single(t => t.Id == "bad");
        Assert.Null(readmitted.EjectedUntil);
        Assert.Equal(0.001, readmitted.EffectiveWeight);
        await SendAsync(app, 20);
        Assert.Equal(3, bad.Requests);

        // Half-way through the ramp it has half its weight: a third of the traffic against good's full weight.
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0.5, (await app.Store.GetAsync("health"))!.Targets.Single(t => t.Id == "bad").EffectiveWeight);
        await SendAsync(app, 30);
        Assert.InRange(bad.Requests - 3, 9, 11);

        // Failing again before the ramp ended healthy: the next ejection lasts twice as long.
        bad.Status = 500;
        var before = bad.Requests;
        while (bad.Requests - before < 3)
        {
            await ForwardAsync(app);
        }

        var again = (await app.Store.GetAsync("health"))!.Targets.Single(t => t.Id == "bad");
        Assert.Equal(clock.GetUtcNow().AddSeconds(20).ToUnixTimeMilliseconds(), again.EjectedUntil!.Value.ToUnixTimeMilliseconds());
        Assert.Equal(2, again.Ejections);
    }

    [Fact(Timeout = 15_000)]
    public async Task RepeatedEjectionsDoubleTheBackoffUpToTheCapAndAHealthyRampResetsIt()
    {
        var clock = DispatchApp.Clock();
        using var app = await DispatchApp.StartAsync(services, Health, clock);
        await app.SavePoolAsync("backoff", """{"policy":"round-robin","targets":[{"id":"a","url":"http://a.test"},{"id":"b","url":"http://b.test"}]}""");

        var durations = new List<double>();
        for (var round = 0; round < 4; round++)
        {
            RecordResult result = null!;
            for (var i = 0; i < 3; i++)
            {
                result = await app.Store.RecordAsync("backoff", "a", null, Outcome.Failure, TimeSpan.FromMilliseconds(5));
            }

            durations.Add((result.EjectedUntil!.Value - clock.GetUtcNow()).TotalSeconds);
            clock.Advance(result.EjectedUntil!.Value - clock.GetUtcNow());
        }

        Assert.Equal([10.0, 20.0, 40.0, 40.0], durations);

        // A success after a full healthy slow-start window ends the streak: the next ejection is short again.
        clock.Advance(TimeSpan.FromSeconds(20));
        await app.Store.RecordAsync("backoff", "a", null, Outcome.Success, TimeSpan.FromMilliseconds(5));
        RecordResult last = null!;
        for (var i = 0; i < 3; i++)
        {
            last = await app.Store.RecordAsync("backoff", "a", null, Outcome.Failure, null);
        }

        Assert.Equal(10.0, (last.EjectedUntil!.Value - clock.GetUtcNow()).TotalSeconds);
    }

    [Fact(Timeout = 15_000)]
    public async Task AllTargetsEjectedAnswers503WithRetryAfterAndCallsNoBackend()
    {
        await using var backend = await Backend.StartAsync("only");
        var clock = DispatchApp.Clock();
        using var app = await DispatchApp.StartAsync(services, Health, clock);
        await app.SavePoolAsync("down", $$"""{"policy":"least-connections","targets":[{"id":"only","url":"{{backend.Url}}"}]}""");
        for (var i = 0; i < 3; i++)
        {
            await app.Store.RecordAsync("down", "only", null, Outcome.Failure, null);
        }

        clock.Advance(TimeSpan.FromSeconds(2.5));
        var request = ActionResults.Request("GET");
        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "down", "x", Ct), request);

        Assert.Equal(503, response.Status);
        Assert.True(response.IsProblem, response.ContentType);
        Assert.Equal("8", response.Headers.RetryAfter.ToString());
        Assert.Equal(0, backend.Requests);
    }

    [Fact(Timeout = 20_000)]
    public async Task ProbeEjectsADeadTargetThatGetsNoTraffic()
    {
        await using var live = await Backend.StartAsync("live");
        var dead = $"http://127.0.0.1:{ListeningSockets.FreePort()}";
        using var app = await DispatchApp.StartAsync(services, new(Health) { ["Dispatch:FailureThreshold"] = "2", ["Dispatch:ProbeTimeout"] = "00:00:02" });
        await app.SavePoolAsync("probed", $$"""
            {"policy":"round-robin","probePath":"/healthz","targets":[{"id":"live","url":"{{live.Url}}"},{"id":"dead","url":"{{dead}}"}]}
            """);
        await app.SavePoolAsync("unprobed", $$"""{"policy":"round-robin","targets":[{"id":"dead","url":"{{dead}}"}]}""");

        await app.Probe.RunAsync(Ct);
        await app.Probe.RunAsync(Ct);

        var probed = (await app.Store.GetAsync("probed"))!.Targets;
        Assert.NotNull(probed.Single(t => t.Id == "dead").EjectedUntil);
        Assert.Null(probed.Single(t => t.Id == "live").EjectedUntil);
        Assert.All(live.Seen, r => Assert.Equal(("GET", "/healthz"), (r.Method, r.PathAndQuery)));
        Assert.Equal(2, live.Requests);
        Assert.Equal(0, (await app.Store.GetAsync("unprobed"))!.Targets.Single().ConsecutiveFailures);
    }

    private static Task<ForwardResult> ForwardAsync(DispatchApp app) =>
        app.Forwarder.ForwardAsync(new ForwardRequest("health", "POST", "/work", [], "{}"u8.ToArray()), Ct);

    private static async Task SendAsync(DispatchApp app, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(200, (await ForwardAsync(app)).StatusCode);
        }
    }
}
