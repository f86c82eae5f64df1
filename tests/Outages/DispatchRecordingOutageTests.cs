using Microsoft.Extensions.Logging;
using Serverless.Core.Dispatch;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Outages;

/// <summary>Redis lost between a dispatch pick and recording its outcome: the backend has acted, so its answer wins.</summary>
public sealed class DispatchRecordingOutageTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task BackendAnswerIsRelayedAndTheLostRecordLoggedWhenRedisFailsBetweenPickAndRecord()
    {
        await using var backend = await GatedBackend.StartAsync();
        await using var redis = await OwnRedisServer.StartAsync(persistence: true);
        using var app = await OutageApp.StartAsync(services, redis);
        var put = ActionResults.Request("PUT", body: $$"""{"policy":"round-robin","targets":[{"id":"only","url":"{{backend.Url}}"}]}""");
        Assert.Equal(201, (await app.CallAsync(put, () => app.Pools.Put(put, "orders", Ct))).Status);

        // A POST without Idempotency-Key: running it twice would place two orders.
        var request = ActionResults.Request("POST", body: """{"order":1}""");
        var forwarding = app.CallAsync(request, () => app.Forward.Forward(request, "orders", "place", Ct));
        await backend.Received.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await redis.StopAsync();
        backend.Release();
        var response = await forwarding;

        Assert.Equal(201, response.Status);
        Assert.Equal("created once", response.Body);
        Assert.Equal("only", response.Headers["X-Dispatch-Target"].ToString());
        Assert.Equal(1, backend.Requests);
        var lost = Assert.Single(app.Logs.GetSnapshot(), r => r.Category == typeof(DispatchForwarder).FullName && r.Level == LogLevel.Warning);
        Assert.Contains("not recorded", lost.Message, StringComparison.Ordinal);
        Assert.NotNull(lost.Exception);
    }
}
