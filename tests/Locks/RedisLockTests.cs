using Serverless.Core.Locking;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Locks;

[RedisBacked]
public sealed class RedisLockTests(ServicesFixture services)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 15_000)]
    public async Task ReleaseAndExtendByNonOwnerOrWrongTokenAreRejectedAndChangeNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        var grant = await app.Redis.TryAcquireAsync("doc", Long, TestContext.Current.CancellationToken);

        var byOther = await app.Redis.ReleaseAsync("doc", "mallory", grant.Token, ct);
        var wrongToken = await app.Redis.ReleaseAsync("doc", grant.Owner!, grant.Token + 1, ct);
        var extendByOther = await app.Redis.ExtendAsync("doc", "mallory", grant.Token, Long, ct);
        var view = await app.Redis.GetAsync("doc", ct);
        var busy = await app.Redis.TryAcquireAsync("doc", Long, TestContext.Current.CancellationToken);

        Assert.Equal(LockOutcome.Granted, grant.Outcome);
        Assert.Equal(32, grant.Owner!.Length);
        Assert.Equal([LockOutcome.NotHolder, LockOutcome.NotHolder, LockOutcome.NotHolder], [byOther.Outcome, wrongToken.Outcome, extendByOther.Outcome]);
        Assert.True(view.Held);
        Assert.Equal(grant.Token, view.Token);
        Assert.Equal(LockOutcome.Busy, busy.Outcome);
        Assert.Equal(LockOutcome.Released, (await app.Redis.ReleaseAsync("doc", grant.Owner, grant.Token, ct)).Outcome);
        Assert.False((await app.Redis.GetAsync("doc", ct)).Held);
    }

    /// <summary>The seed released by GET-then-DEL and so deleted the next owner's lock; here the stale release changes nothing.</summary>
    [Fact(Timeout = 15_000)]
    public async Task LeaseExpiryFreesAVanishedHolderAndItsLateReleaseAndWriteAreRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        var stale = await app.Redis.TryAcquireAsync("doc", TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
        Assert.True((await app.Fenced.WriteAsync("doc", "1", "from stale", stale.Token, ct)).Accepted);

        var next = await app.Redis.AcquireAsync("doc", "next", Long, TimeSpan.FromSeconds(5), ct);
        var successorWrite = await app.Fenced.WriteAsync("doc", "1", "from successor", next.Token, ct);
        var lateRelease = await app.Redis.ReleaseAsync("doc", stale.Owner!, stale.Token, ct);
        var lateWrite = await app.Fenced.WriteAsync("doc", "1", "late write", stale.Token, ct);

        Assert.Equal(LockOutcome.Granted, next.Outcome);
        Assert.Equal(stale.Token + 1, next.Token);
        Assert.True(successorWrite.Accepted);
        Assert.Equal(LockOutcome.NotHolder, lateRelease.Outcome);
        Assert.True((await app.Redis.GetAsync("doc", ct)).Held);
        Assert.Equal(new FencedWrite(false, next.Token), lateWrite);
        Assert.Equal("from successor", (await app.Fenced.ReadAsync("doc", "1", ct))!.Value);
    }

    [Fact(Timeout = 15_000)]
    public async Task TokensKeepGrowingAcrossReleasesExpiriesAndKeyLoss()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        var tokens = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var grant = await app.Redis.TryAcquireAsync("doc", TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
            tokens.Add(grant.Token);
            if (i == 0)
            {
                await app.Redis.ReleaseAsync("doc", grant.Owner!, grant.Token, ct);
            }
            else
            {
                await app.Database.KeyDeleteAsync(app.Redis.LockKey("doc"));
            }
        }

        var afterExpiry = await app.Redis.TryAcquireAsync("doc", TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken);
        await Task.Delay(150, TestContext.Current.CancellationToken);
        var last = await app.Redis.TryAcquireAsync("doc", Long, TestContext.Current.CancellationToken);

        // A fresh app prefix: the lock's first epoch, and one counter step per grant after it.
        var first = FencingToken.Floor(1) + 1;
        Assert.Equal([first, first + 1, first + 2, first + 3, first + 4], [.. tokens, afterExpiry.Token, last.Token]);
        Assert.Equal(first + 4, (await app.Redis.GetAsync("doc", ct)).LastToken);
    }

    [Fact(Timeout = 30_000)]
    public async Task AutoRenewKeepsTheLockPastItsLeaseAndDisposeReleasesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        // Lease long enough that a renewal (every third of it) delayed by a busy CI machine still lands in time: a
        // 1.5 s lease was lost once when a loaded run stalled the renewal loop for over a second.
        var handle = await app.Redis.HoldAsync("doc", TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(20), TimeSpan.Zero, ct);
        Assert.NotNull(handle);

        // Past the first lease, so only renewals can still hold it.
        await Task.Delay(4_500, ct);
        var whileHeld = await app.Redis.TryAcquireAsync("doc", Long, TestContext.Current.CancellationToken);
        await handle.DisposeAsync();

        Assert.Equal(LockOutcome.Busy, whileHeld.Outcome);
        Assert.False((await app.Redis.GetAsync("doc", ct)).Held);
        Assert.Equal("released", handle.LostReason);
    }

    [Fact(Timeout = 15_000)]
    public async Task LostSignalFiresWhenTheKeyVanishes()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        await using var handle = await app.Redis.HoldAsync("doc", TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(10), TimeSpan.Zero, ct);
        Assert.NotNull(handle);
        var lost = new TaskCompletionSource();
        using var registration = handle.Lost.Register(lost.SetResult);

        await app.Database.KeyDeleteAsync(app.Redis.LockKey("doc"));
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(5), ct);

        Assert.Equal("the lock was gone or held by another owner at renewal", handle.LostReason);
    }

    [Fact(Timeout = 15_000)]
    public async Task MaximumHoldTimeEndsTheHoldAndFreesTheLock()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        // Renewals (every third of the lease) have slack on a busy CI machine, so only the maximum hold can end it.
        await using var handle = await app.Redis.HoldAsync("doc", TimeSpan.FromMilliseconds(1_500), TimeSpan.FromMilliseconds(2_500), TimeSpan.Zero, ct);
        Assert.NotNull(handle);
        var lost = new TaskCompletionSource();
        using var registration = handle.Lost.Register(lost.SetResult);

        await lost.Task.WaitAsync(TimeSpan.FromSeconds(8), ct);
        var next = await app.Redis.TryAcquireAsync("doc", Long, TestContext.Current.CancellationToken);

        Assert.Equal("maximum hold time reached", handle.LostReason);
        Assert.True(DateTimeOffset.UtcNow >= handle.MaxHoldUntil);
        Assert.Equal(LockOutcome.Granted, next.Outcome);
        Assert.Equal(handle.Token + 1, next.Token);
    }
}
