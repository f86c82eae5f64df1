using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Hosting;
using Serverless.Core.Locking;
using Serverless.Orchestrations.History;
using Serverless.Orchestrations.Locks;
using Serverless.Tests.Locks;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;

namespace Serverless.Tests.History;

[Collection(DurableCollection.Name)]
public sealed class HistoryPurgeTests(HistoryPurgeTests.Fixture fixture) : IClassFixture<HistoryPurgeTests.Fixture>
{
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);
    private static readonly TimeSpan Finish = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The clock is set so the cut-off falls between the old and the recent instance: the finished one created before
    /// it is purged; a running one created before it and a finished one created after it are kept, as is the lock
    /// entity's state (its fencing counter).
    /// </summary>
    [Fact(Timeout = 120_000)]
    public async Task AFinishedInstanceOlderThanTheRetentionIsPurgedAndRunningOrRecentOnesAreKept()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = fixture.Client;
        var name = "l" + Guid.NewGuid().ToString("N")[..12];
        var oldDone = await client.ScheduleNewOrchestrationInstanceAsync(nameof(LockAcquireOrchestrator), new LockAcquireInput(name, "old", 60_000, 0), ct);
        var grant = (await fixture.WaitForCompletionAsync(oldDone, Finish)).ReadOutputAs<LockResult>()!;
        // Held by the first grant, so this one waits in line: still running at the purge.
        var running = await client.ScheduleNewOrchestrationInstanceAsync(nameof(LockAcquireOrchestrator), new LockAcquireInput(name, "waiter", 60_000, 90_000), ct);
        await WaitUntilAsync(async () => (await fixture.Locks.GetAsync(name, ct)).Waiters == 1, ct);
        var boundary = DateTimeOffset.UtcNow;
        await WaitUntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow > boundary.AddMilliseconds(50)), ct);
        var recentDone = await client.ScheduleNewOrchestrationInstanceAsync(nameof(LockAcquireOrchestrator), new LockAcquireInput(name + "x", "recent", 60_000, 0), ct);
        await fixture.WaitForCompletionAsync(recentDone, Finish);
        Assert.True((await client.GetInstanceAsync(running, ct))!.CreatedAt < boundary);
        Assert.True((await client.GetInstanceAsync(recentDone, ct))!.CreatedAt > boundary);

        var purge = new HistoryPurge(new FakeTimeProvider(boundary + Retention), Options.Create(new HistoryOptions { Retention = Retention }));
        var purged = await purge.PurgeAsync(client, ct);

        Assert.Null(await client.GetInstanceAsync(oldDone, ct));
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await client.GetInstanceAsync(running, ct))!.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await client.GetInstanceAsync(recentDone, ct))!.RuntimeStatus);
        Assert.True(purged >= 1);
        var view = await fixture.Locks.GetAsync(name, ct);
        Assert.Equal((true, grant.Token, 1), (view.Held, view.LastToken, view.Waiters));
        Assert.Equal(LockOutcome.Released, (await fixture.Locks.ReleaseAsync(name, grant.Owner!, grant.Token, ct)).Outcome);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitForCompletionAsync(running, Finish)).RuntimeStatus);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Finish);
        while (!await condition())
        {
            await Task.Delay(100, deadline.Token);
        }
    }

    public sealed class Fixture(ServicesFixture services) : LocksDurableFixture(services);
}
