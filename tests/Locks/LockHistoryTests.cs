using Serverless.Core.Locking;
using Serverless.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Locks;

public sealed class LockHistoryTests(ServicesFixture services, LockHistoryTests.Fixture fixture) : IClassFixture<LockHistoryTests.Fixture>
{
    [Fact(Timeout = 60_000)]
    public async Task RedisLockHistoryOfSixHundredGrantsHasNoOverlapAndGrowingTokens()
    {
        using var app = await LockApp.StartAsync(services);
        var load = new LockHistoryLoad(
            Locks: 4, ClientsPerLock: 4, Acquisitions: 600, MinLease: TimeSpan.FromMilliseconds(50), MaxLease: TimeSpan.FromMilliseconds(150),
            ExpiryChance: 0.1, MaxShortPause: TimeSpan.FromMilliseconds(10), Wait: TimeSpan.FromSeconds(10));

        var history = await LockHistoryRun.RunAsync(app.Redis, "history", load, TestContext.Current.CancellationToken);

        AssertSafe(history, 600);
    }

    /// <summary>
    /// ≥ 500 grants on the entity lock, sized for this slow shared machine: several locks in parallel (each checked on
    /// its own), short leases, and some holders pausing past their lease so the entity's expiry reminder frees them.
    /// </summary>
    [Fact(Timeout = 240_000)]
    public async Task EntityLockHistoryOfFiveHundredGrantsHasNoOverlapAndGrowingTokens()
    {
        var load = new LockHistoryLoad(
            Locks: 12, ClientsPerLock: 3, Acquisitions: 500, MinLease: TimeSpan.FromMilliseconds(600), MaxLease: TimeSpan.FromMilliseconds(1200),
            ExpiryChance: 0.08, MaxShortPause: TimeSpan.FromMilliseconds(50), Wait: TimeSpan.FromSeconds(30));

        var history = await LockHistoryRun.RunAsync(fixture.Locks, "history", load, TestContext.Current.CancellationToken);

        AssertSafe(history, 500);
    }

    /// <summary>
    /// The seed's lock (SET NX PX, then release by DEL without checking the owner, and a token counted apart from the
    /// grant) run through the same checker: a holder that outlived its lease deletes its successor's lock, so two
    /// holders overlap. Shows the checker catches a broken lock in a real run.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task CheckerCatchesTheSeedLockThatReleasesByDelete()
    {
        using var app = await LockApp.StartAsync(services);
        var load = new LockHistoryLoad(
            Locks: 2, ClientsPerLock: 4, Acquisitions: 200, MinLease: TimeSpan.FromMilliseconds(50), MaxLease: TimeSpan.FromMilliseconds(80),
            ExpiryChance: 0.3, MaxShortPause: TimeSpan.FromMilliseconds(10), Wait: TimeSpan.FromSeconds(5));

        var history = await LockHistoryRun.RunAsync(new SeedLockDouble(app.Database, app.Prefix), "seed", load, TestContext.Current.CancellationToken);

        Assert.Contains(history.Violations(), v => v.Contains("while", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckerReportsOverlapTokenRegressionAndEarlyRefusal()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        var history = new LockHistory();
        history.Record(new LockHold("a", "c1", 5, t0, t0.AddSeconds(10), t0.AddSeconds(3), Released: true));
        history.Record(new LockHold("a", "c2", 4, t0.AddSeconds(2), t0.AddSeconds(10), t0.AddSeconds(4), Released: false));

        var violations = history.Violations();

        Assert.Equal(3, violations.Count);
        Assert.Contains(violations, v => v.Contains("while c1", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("token 4 (c2) granted after token 5", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("refused", StringComparison.Ordinal));
    }

    private static void AssertSafe(LockHistory history, int minimum)
    {
        Assert.Empty(history.Violations());
        Assert.True(history.Holds.Count >= minimum, $"only {history.Holds.Count} grants recorded");
        Assert.Contains(history.Holds, h => h.Expired && !h.Released);
        Assert.Contains(history.Holds, h => h.Released);
    }

    public sealed class Fixture(ServicesFixture services) : LocksDurableFixture(services);

    /// <summary>A deliberately broken lock (test double of the seed sample), for showing the checker can fail.</summary>
    private sealed class SeedLockDouble(IDatabase db, string prefix) : IDistributedLock
    {
        public async Task<LockResult> AcquireAsync(string name, string owner, TimeSpan lease, TimeSpan wait, CancellationToken cancellationToken = default)
        {
            var deadline = DateTimeOffset.UtcNow + wait;
            while (true)
            {
                var sentAt = DateTimeOffset.UtcNow;
                if (await db.StringSetAsync(prefix + name, owner, lease, When.NotExists))
                {
                    var token = await db.StringIncrementAsync(prefix + name + ":fence");
                    return new LockResult(LockOutcome.Granted, owner, token, sentAt + lease);
                }

                if (DateTimeOffset.UtcNow > deadline)
                {
                    return LockResult.Refused(LockOutcome.Busy);
                }

                await Task.Delay(5, cancellationToken);
            }
        }

        public async Task<LockResult> ReleaseAsync(string name, string owner, long token, CancellationToken cancellationToken = default)
        {
            await db.KeyDeleteAsync(prefix + name);
            return new LockResult(LockOutcome.Released, owner, token, null);
        }

        public Task<LockResult> ExtendAsync(string name, string owner, long token, TimeSpan lease, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<LockView> GetAsync(string name, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
