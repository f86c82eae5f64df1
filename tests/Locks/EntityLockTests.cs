using Microsoft.DurableTask.Client;
using Serverless.Core.Locking;
using Serverless.Orchestrations.Locks;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;

namespace Serverless.Tests.Locks;

[Collection(DurableCollection.Name)]
public sealed class EntityLockTests(ServicesFixture services, EntityLockTests.Fixture fixture) : IClassFixture<EntityLockTests.Fixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [Fact(Timeout = 60_000)]
    public async Task ReleaseAndExtendByNonOwnerOrWrongTokenAreRejectedAndChangeNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = Unique();
        var grant = await fixture.Locks.AcquireAsync(name, "alice", Long, TimeSpan.Zero, ct);

        var byOther = await fixture.Locks.ReleaseAsync(name, "mallory", grant.Token, ct);
        var wrongToken = await fixture.Locks.ReleaseAsync(name, grant.Owner!, grant.Token + 1, ct);
        var extendByOther = await fixture.Locks.ExtendAsync(name, "mallory", grant.Token, Long, ct);
        var view = await fixture.Locks.GetAsync(name, ct);

        Assert.Equal(LockOutcome.Granted, grant.Outcome);
        Assert.Equal([LockOutcome.NotHolder, LockOutcome.NotHolder, LockOutcome.NotHolder], [byOther.Outcome, wrongToken.Outcome, extendByOther.Outcome]);
        Assert.Equal(new LockView(true, grant.Token, grant.ExpiresAt, grant.Token, 0), view);
        var busy = await fixture.Locks.AcquireAsync(name, "bob", Long, TimeSpan.Zero, ct);
        Assert.Equal(LockOutcome.Busy, busy.Outcome);
        var released = await fixture.Locks.ReleaseAsync(name, grant.Owner!, grant.Token, ct);
        Assert.Equal(LockOutcome.Released, released.Outcome);
    }

    /// <summary>
    /// A second caller naming the same owner is not the holder: it is not handed the grant, and with the owner name
    /// and the (public) fencing token it can neither release nor extend; only the grant's owner token can.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task SameOwnerNameWithoutTheGrantsOwnerTokenCannotTakeReleaseOrExtend()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = Unique();
        var grant = await fixture.Locks.AcquireAsync(name, "alice", Long, TimeSpan.Zero, ct);

        var impostor = await fixture.Locks.AcquireAsync(name, "alice", Long, TimeSpan.Zero, ct);
        var releaseByName = await fixture.Locks.ReleaseAsync(name, "alice", grant.Token, ct);
        var extendByName = await fixture.Locks.ExtendAsync(name, "alice", grant.Token, Long, ct);
        var view = await fixture.Locks.GetAsync(name, ct);

        Assert.Equal(LockOutcome.Granted, grant.Outcome);
        Assert.Matches("^[0-9a-f]{32}$", grant.Owner);
        Assert.Equal(LockOutcome.Busy, impostor.Outcome);
        Assert.Null(impostor.Owner);
        Assert.Equal([LockOutcome.NotHolder, LockOutcome.NotHolder], [releaseByName.Outcome, extendByName.Outcome]);
        Assert.Equal(new LockView(true, grant.Token, grant.ExpiresAt, grant.Token, 0), view);
        var extended = await fixture.Locks.ExtendAsync(name, grant.Owner!, grant.Token, Long, ct);
        var released = await fixture.Locks.ReleaseAsync(name, grant.Owner!, grant.Token, ct);
        Assert.Equal([LockOutcome.Extended, LockOutcome.Released], [extended.Outcome, released.Outcome]);
    }

    [Fact(Timeout = 60_000)]
    public async Task EachGrantGetsItsOwnOwnerTokenAndAnOldOneDoesNotReleaseANewGrant()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = Unique();
        var first = await fixture.Locks.AcquireAsync(name, "alice", Long, TimeSpan.Zero, ct);
        await fixture.Locks.ReleaseAsync(name, first.Owner!, first.Token, ct);
        var second = await fixture.Locks.AcquireAsync(name, "alice", Long, TimeSpan.Zero, ct);

        var withOldOwnerToken = await fixture.Locks.ReleaseAsync(name, first.Owner!, second.Token, ct);

        Assert.NotEqual(first.Owner, second.Owner);
        Assert.Equal(LockOutcome.NotHolder, withOldOwnerToken.Outcome);
        Assert.Equal(LockOutcome.Released, (await fixture.Locks.ReleaseAsync(name, second.Owner!, second.Token, ct)).Outcome);
    }

    [Fact(Timeout = 60_000)]
    public async Task ExtendByHolderMovesTheLeaseEndSoTheOldReminderDoesNotFreeIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = Unique();
        var grant = await fixture.Locks.AcquireAsync(name, "alice", TimeSpan.FromSeconds(2), TimeSpan.Zero, ct);

        var extended = await fixture.Locks.ExtendAsync(name, grant.Owner!, grant.Token, TimeSpan.FromSeconds(30), ct);
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        var view = await fixture.Locks.GetAsync(name, ct);

        Assert.Equal(LockOutcome.Extended, extended.Outcome);
        Assert.True(extended.ExpiresAt > grant.ExpiresAt);
        Assert.True(view.Held);
        Assert.Equal(grant.Token, view.Token);
    }

    /// <summary>
    /// The holder vanishes (never releases): its lease's reminder frees the lock for the waiter, whose token is
    /// higher; the stale holder's later write with its old token is refused by the fenced record, and its release too.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task LeaseExpiryFreesAVanishedHolderAndTheFenceRefusesItsLateWrite()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        var name = Unique();
        var stale = await fixture.Locks.AcquireAsync(name, "vanishing", TimeSpan.FromSeconds(1), TimeSpan.Zero, ct);
        Assert.True((await app.Fenced.WriteAsync("doc", name, "from vanishing", stale.Token, ct)).Accepted);

        var next = await fixture.Locks.AcquireAsync(name, "successor", Long, TimeSpan.FromSeconds(30), ct);
        var successorWrite = await app.Fenced.WriteAsync("doc", name, "from successor", next.Token, ct);
        var lateWrite = await app.Fenced.WriteAsync("doc", name, "late write", stale.Token, ct);
        var lateRelease = await fixture.Locks.ReleaseAsync(name, "vanishing", stale.Token, ct);

        Assert.Equal(LockOutcome.Granted, next.Outcome);
        Assert.True(next.Token > stale.Token);
        Assert.True(successorWrite.Accepted);
        Assert.Equal(new FencedWrite(false, next.Token), lateWrite);
        Assert.Equal("from successor", (await app.Fenced.ReadAsync("doc", name, ct))!.Value);
        Assert.Equal(LockOutcome.NotHolder, lateRelease.Outcome);
    }

    [Fact(Timeout = 90_000)]
    public async Task WaitersAreGrantedInArrivalOrderWithGrowingTokensAcrossExpiries()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = Unique();
        var first = await fixture.Locks.AcquireAsync(name, "w0", TimeSpan.FromSeconds(1), TimeSpan.Zero, ct);
        var waiting = new List<Task<LockResult>>();
        for (var i = 1; i <= 4; i++)
        {
            // Each waiter must be in line before the next asks, so arrival order is known.
            waiting.Add(fixture.Locks.AcquireAsync(name, $"w{i}", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(45), ct));
            var waiters = i;
            await WaitForAsync(name, v => v.Waiters == waiters || !v.Held, ct);
        }

        // Nobody releases: every grant ends by expiry, and the next in line gets the lock.
        var grants = await Task.WhenAll(waiting);

        Assert.All(grants, g => Assert.Equal(LockOutcome.Granted, g.Outcome));
        Assert.Equal(4, grants.Select(g => g.Owner).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 4).Select(i => first.Token + i), grants.Select(g => g.Token));
        var view = await fixture.Locks.GetAsync(name, ct);
        Assert.True(view.LastToken >= first.Token + 4);
    }

    [Fact(Timeout = 60_000)]
    public async Task AWaiterThatGivesUpLeavesTheLineAndIsNotGrantedLater()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = Unique();
        var holder = await fixture.Locks.AcquireAsync(name, "holder", Long, TimeSpan.Zero, ct);

        var gaveUp = await fixture.Locks.AcquireAsync(name, "impatient", Long, TimeSpan.FromSeconds(2), ct);
        var view = await fixture.Locks.GetAsync(name, ct);
        await fixture.Locks.ReleaseAsync(name, holder.Owner!, holder.Token, ct);
        var after = await fixture.Locks.GetAsync(name, ct);

        Assert.Equal(LockOutcome.Busy, gaveUp.Outcome);
        Assert.Equal(0, view.Waiters);
        Assert.False(after.Held);
    }

    private async Task WaitForAsync(string name, Func<LockView, bool> condition, CancellationToken ct)
    {
        while (!condition(await fixture.Locks.GetAsync(name, ct)))
        {
            await Task.Delay(100, ct);
        }
    }

    private static string Unique() => "l" + Guid.NewGuid().ToString("N")[..12];

    public sealed class Fixture(ServicesFixture services) : LocksDurableFixture(services);
}
