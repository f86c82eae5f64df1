using Serverless.Core.Locking;
using Serverless.Core.Telemetry;
using Serverless.Testing;
using Serverless.Tests.Locks;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Telemetry;

[RedisBacked]
[Collection(TelemetryCollection.Name)]
public sealed class RedisLockTelemetryTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly (string, object) Redis = (LockMetrics.BackendTag, LockMetrics.Redis);

    [Fact(Timeout = 30_000)]
    public async Task GrantsWaitsAndStaleReleasesAreCountedForTheRedisBackend()
    {
        using var app = await LockApp.StartAsync(services);
        using var telemetry = new TelemetryCapture();
        var name = $"metered-{Guid.NewGuid():N}";

        var first = await app.Redis.AcquireAsync(name, "a", TimeSpan.FromSeconds(30), TimeSpan.Zero, Ct);
        var waiting = app.Redis.AcquireAsync(name, "b", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20), Ct);
        await PollAsync(() => telemetry.Sum("serverless.lock.waits", Redis) == 1);
        await app.Redis.ReleaseAsync(name, first.Owner!, first.Token, Ct);
        var second = await waiting;
        var stale = await app.Redis.ReleaseAsync(name, first.Owner!, first.Token, Ct);
        var staleExtend = await app.Redis.ExtendAsync(name, first.Owner!, first.Token, TimeSpan.FromSeconds(30), Ct);

        Assert.True(second.Holds);
        Assert.Equal((LockOutcome.NotHolder, LockOutcome.NotHolder), (stale.Outcome, staleExtend.Outcome));
        Assert.Equal(2, telemetry.Sum("serverless.lock.grants", Redis));
        Assert.Equal(1, telemetry.Sum("serverless.lock.waits", Redis));
        Assert.Equal(1, telemetry.Sum("serverless.lock.fencing.refusals", Redis, (LockMetrics.OperationTag, "release")));
        Assert.Equal(1, telemetry.Sum("serverless.lock.fencing.refusals", Redis, (LockMetrics.OperationTag, "extend")));
        Assert.Equal(0, telemetry.Sum("serverless.lock.expiries", Redis));
    }

    [Fact(Timeout = 30_000)]
    public async Task AHeldLockThatVanishesIsAnExpiryAndAFencedWriteWithAnOldTokenIsRefused()
    {
        using var app = await LockApp.StartAsync(services);
        using var telemetry = new TelemetryCapture();
        var name = $"vanishing-{Guid.NewGuid():N}";
        await using var handle = (await app.Redis.HoldAsync(name, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.Zero, Ct))!;
        await app.Fenced.WriteAsync("p", name, "new", handle.Token + 1, Ct);

        var old = await app.Fenced.WriteAsync("p", name, "old", handle.Token, Ct);
        // Redis forgets the lock (a failover without the key): the next renewal finds it gone.
        await app.Get<IConnectionMultiplexer>().GetDatabase().KeyDeleteAsync(app.Redis.LockKey(name));
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (handle.Lost.Register(() => lost.TrySetResult()))
        {
            await lost.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        }

        Assert.False(old.Accepted);
        Assert.Equal(1, telemetry.Sum("serverless.lock.fencing.refusals", (LockMetrics.OperationTag, "fenced-write")));
        Assert.Equal(1, telemetry.Sum("serverless.lock.expiries", Redis));
    }

    private static async Task PollAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20, Ct);
        }
    }
}
