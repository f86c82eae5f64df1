using System.Diagnostics;
using Serverless.Core.Dispatch;
using Serverless.Core.Telemetry;
using Serverless.Testing;
using Serverless.Tests.Dispatch;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Telemetry;

[RedisBacked]
[Collection(TelemetryCollection.Name)]
public sealed class DispatchTelemetryTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task PicksAreCountedPerPoolPolicyAndTargetAndEachAttemptIsTimedAndLeavesNothingInFlight()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("metered", $$"""{"policy":"round-robin","targets":[{"id":"a","url":"{{a.Url}}"},{"id":"b","url":"{{b.Url}}"}]}""");
        using var telemetry = new TelemetryCapture();

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(ForwardStatus.Relayed, (await app.Forwarder.ForwardAsync(Get("metered"), Ct)).Status);
        }

        Assert.Equal(2, telemetry.Sum("serverless.dispatch.picks", (DispatchMetrics.PoolTag, "metered"), (DispatchMetrics.PolicyTag, "round-robin"), (DispatchMetrics.TargetTag, "a")));
        Assert.Equal(2, telemetry.Sum("serverless.dispatch.picks", (DispatchMetrics.PoolTag, "metered"), (DispatchMetrics.PolicyTag, "round-robin"), (DispatchMetrics.TargetTag, "b")));
        Assert.Equal(4, telemetry.Count("serverless.dispatch.forward.duration", (DispatchMetrics.PoolTag, "metered"), (DispatchMetrics.OutcomeTag, "success")));
        Assert.Equal(0, telemetry.Sum("serverless.dispatch.in_flight", (DispatchMetrics.PoolTag, "metered")));
    }

    [Fact(Timeout = 30_000)]
    public async Task AnAttemptWaitingOnItsTargetIsInFlightUntilAnswered()
    {
        await using var slow = await Backend.StartAsync("slow", delay: TimeSpan.FromSeconds(2));
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("waiting", $$"""{"policy":"round-robin","targets":[{"id":"slow","url":"{{slow.Url}}"}]}""");
        using var telemetry = new TelemetryCapture();

        var forward = app.Forwarder.ForwardAsync(Get("waiting"), Ct);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (slow.Requests == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Ct);
        }

        var during = telemetry.Sum("serverless.dispatch.in_flight", (DispatchMetrics.PoolTag, "waiting"), (DispatchMetrics.TargetTag, "slow"));
        await forward;

        Assert.Equal(1, during);
        Assert.Equal(0, telemetry.Sum("serverless.dispatch.in_flight", (DispatchMetrics.PoolTag, "waiting"), (DispatchMetrics.TargetTag, "slow")));
    }

    [Fact(Timeout = 30_000)]
    public async Task ATargetEjectedAfterFailingIsCountedOnceAndItsReadmissionWhenItAnswersAgain()
    {
        await using var flaky = await Backend.StartAsync("flaky", status: 500);
        var clock = DispatchApp.Clock();
        using var app = await DispatchApp.StartAsync(services, new() { ["Dispatch:FailureThreshold"] = "2", ["Dispatch:SlowStart"] = "00:00:01" }, clock);
        await app.SavePoolAsync("healing", $$"""{"policy":"round-robin","targets":[{"id":"flaky","url":"{{flaky.Url}}"}]}""");
        using var telemetry = new TelemetryCapture();

        // Two failures eject; a third request finds every target ejected and is not sent.
        await app.Forwarder.ForwardAsync(Post("healing"), Ct);
        await app.Forwarder.ForwardAsync(Post("healing"), Ct);
        var refused = await app.Forwarder.ForwardAsync(Post("healing"), Ct);
        var ejections = telemetry.Sum("serverless.dispatch.ejections", (DispatchMetrics.PoolTag, "healing"), (DispatchMetrics.TargetTag, "flaky"));
        var unavailable = telemetry.Sum("serverless.dispatch.unavailable", (DispatchMetrics.PoolTag, "healing"), (DispatchMetrics.ReasonTag, "all-ejected"));

        // Past the ejection (10 s) and the slow start (1 s), a success readmits it.
        flaky.Status = 200;
        clock.Advance(TimeSpan.FromSeconds(12));
        await app.Forwarder.ForwardAsync(Post("healing"), Ct);
        await app.Forwarder.ForwardAsync(Post("healing"), Ct);

        Assert.Equal(ForwardStatus.Unavailable, refused.Status);
        Assert.Equal((1, 1), (ejections, unavailable));
        Assert.Equal(1, telemetry.Sum("serverless.dispatch.readmissions", (DispatchMetrics.PoolTag, "healing"), (DispatchMetrics.TargetTag, "flaky")));
        Assert.Equal(2, telemetry.Count("serverless.dispatch.forward.duration", (DispatchMetrics.PoolTag, "healing"), (DispatchMetrics.OutcomeTag, "failure")));
    }

    [Fact(Timeout = 30_000)]
    public async Task AForwardedRequestIsOneTraceFromTheInvocationThroughTheOutgoingCallToRedis()
    {
        await using var backend = await Backend.StartAsync("traced");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("traced", $$"""{"policy":"least-connections","targets":[{"id":"traced","url":"{{backend.Url}}"}]}""");
        using var telemetry = new TelemetryCapture(app.Get<IConnectionMultiplexer>());

        ActivityTraceId trace;
        // Stands in for the worker's invocation span (what UseFunctionsWorkerDefaults starts from the host's traceparent).
        using (var invocation = TelemetryCapture.Tests.StartActivity("invocation", ActivityKind.Server))
        {
            trace = invocation!.TraceId;
            Assert.Equal(ForwardStatus.Relayed, (await app.Forwarder.ForwardAsync(Get("traced"), Ct)).Status);
        }

        var spans = await telemetry.SpansWhenAsync(s => s.Count(x => x.TraceId == trace && IsRedis(x)) >= 2, TimeSpan.FromSeconds(15));
        var ours = spans.Where(s => s.TraceId == trace).ToList();
        var root = Assert.Single(ours, s => s.DisplayName == "invocation");
        var forward = Assert.Single(ours, s => s.Source.Name == DispatchMetrics.MeterName);
        var http = Assert.Single(ours, s => s.Kind == ActivityKind.Client && s.GetTagItem("http.request.method") is not null);
        Assert.Equal(root.SpanId, forward.ParentSpanId);
        Assert.Equal(forward.SpanId, http.ParentSpanId);
        Assert.Equal(("traced", "least-connections", "traced"), (forward.GetTagItem(DispatchMetrics.PoolTag), forward.GetTagItem(DispatchMetrics.PolicyTag), forward.GetTagItem(DispatchMetrics.TargetTag)));
        // The pick and the outcome are each one script under the forward span.
        Assert.True(ours.Count(s => IsRedis(s) && s.ParentSpanId == forward.SpanId) >= 2, string.Join(", ", ours.Select(s => s.DisplayName)));
        // The target received the same trace.
        var traceparent = Assert.Single(backend.Seen).Headers["traceparent"];
        Assert.Contains(trace.ToHexString(), traceparent, StringComparison.Ordinal);
    }

    private static bool IsRedis(Activity span) => span.GetTagItem("db.system") is "redis" || span.GetTagItem("db.system.name") is "redis";

    private static ForwardRequest Get(string pool) => new(pool, "GET", "x", [], default);

    // POST is not retried: each call is exactly one attempt.
    private static ForwardRequest Post(string pool) => new(pool, "POST", "x", [], default);
}
