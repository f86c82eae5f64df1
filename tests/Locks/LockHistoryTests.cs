using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Core.Locking;
using Serverless.Testing.Durable;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Locks;

[Collection(DurableCollection.Name)]
public sealed class LockHistoryTests(ServicesFixture services, LockHistoryTests.Fixture fixture) : IClassFixture<LockHistoryTests.Fixture>
{
    [RedisBacked]
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
    /// ≥ 500 grants on the entity lock, sized for this slow shared machine: the clients are orchestrations (as real
    /// users of the entity lock are; a client outside one pays an orchestration and polling per call), several locks
    /// run in parallel (each checked on its own), leases are short, and some holders pause past their lease so the
    /// entity's expiry reminder has to free them and grant the next in line.
    /// </summary>
    [Fact(Timeout = 240_000)]
    public async Task EntityLockHistoryOfFiveHundredGrantsHasNoOverlapAndGrowingTokens()
    {
        var ct = TestContext.Current.CancellationToken;
        const int locks = 15, clientsPerLock = 3, perClient = 12;
        var runs = (from l in Enumerable.Range(0, locks)
                    from c in Enumerable.Range(0, clientsPerLock)
                    select new LockHolderRun($"history-{l}", $"client-{l}-{c}", perClient, 1000, 2000, 0.05, 0.2, 60_000, Seed: l * 100 + c)).ToList();

        var ids = await Task.WhenAll(runs.Select(r => fixture.Client.ScheduleNewOrchestrationInstanceAsync(nameof(LockHolderOrchestrator), r, ct)));
        var history = new LockHistory();
        foreach (var id in ids)
        {
            var done = await fixture.WaitForCompletionAsync(id, TimeSpan.FromSeconds(200));
            Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{id}: {done.RuntimeStatus} {done.FailureDetails?.ErrorMessage}");
            foreach (var hold in done.ReadOutputAs<List<LockHold>>()!)
            {
                history.Record(hold);
            }
        }

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
        history.Record(new LockHold("a", "c1", 5, t0, t0.AddSeconds(10), t0.AddSeconds(3), Released: true, t0.AddSeconds(3.1)));
        history.Record(new LockHold("a", "c2", 4, t0.AddSeconds(2), t0.AddSeconds(10), t0.AddSeconds(4), Released: false, t0.AddSeconds(4.1)));

        var violations = history.Violations();

        Assert.Equal(3, violations.Count);
        Assert.Contains(violations, v => v.Contains("while c1", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("token 4 (c2) granted after token 5", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("refused", StringComparison.Ordinal));
    }

    private static void AssertSafe(LockHistory history, int minimum)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{history.Holds.Count} grants, {history.Holds.Count(h => !h.Released)} refused releases after expiry, " +
            $"{history.Holds.Count(h => h.GrantedAt >= h.ExpiresAt)} seen only after their lease ended, tokens up to {history.Holds.Max(h => h.Token)}.");
        Assert.Empty(history.Violations());
        Assert.True(history.Holds.Count >= minimum, $"only {history.Holds.Count} grants recorded");
        Assert.Contains(history.Holds, h => h.PausedPastLease && !h.Released);
        Assert.Contains(history.Holds, h => h.Released);
    }

    public sealed class Fixture(ServicesFixture services) : LocksDurableFixture(services)
    {
        protected override void Register(DurableTaskRegistry registry)
        {
            base.Register(registry);
            registry.AddOrchestrator<LockHolderOrchestrator>();
        }
    }

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
