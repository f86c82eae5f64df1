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
    /// ≥ 300 checked grants on the entity lock (360 in all), sized to pass beside other CPU-bound work on this 2-core
    /// machine: the clients are orchestrations (as real users of the entity lock are; a client outside one pays an
    /// orchestration and polling per call), several locks run in parallel (each checked on its own), and some holders
    /// pause past their lease so the entity's expiry reminder has to free them and grant the next in line.
    /// Leases are 2–4 s, longer than a grant takes to reach its holder under load: with 1–2 s leases a loaded run saw
    /// a quarter of its grants only after they had expired (checking nothing) and most releases refused, so each lock
    /// waited out full leases and the run took twice as long.
    /// </summary>
    [Fact(Timeout = 360_000)]
    public async Task EntityLockHistoryOfThreeHundredCheckedGrantsHasNoOverlapAndGrowingTokens()
    {
        var ct = TestContext.Current.CancellationToken;
        const int locks = 15, clientsPerLock = 3, perClient = 8;
        var runs = (from l in Enumerable.Range(0, locks)
                    from c in Enumerable.Range(0, clientsPerLock)
                    select new LockHolderRun($"history-{l}", $"client-{l}-{c}", perClient, 2000, 4000, 0.05, 0.2, 60_000, Seed: l * 100 + c)).ToList();

        var ids = await Task.WhenAll(runs.Select(r => fixture.Client.ScheduleNewOrchestrationInstanceAsync(nameof(LockHolderOrchestrator), r, ct)));
        var history = new LockHistory();
        // One budget for the whole history, not a fresh one per client. Measured beside two CPU burners: 33–40 s for
        // this class alone, 77 s inside the whole suite; the margin is for machines busier still.
        var budget = TimeSpan.FromSeconds(300);
        var running = System.Diagnostics.Stopwatch.StartNew();
        foreach (var id in ids)
        {
            var left = budget - running.Elapsed;
            var done = await fixture.WaitForCompletionAsync(id, left > TimeSpan.Zero ? left : TimeSpan.Zero);
            Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{id}: {done.RuntimeStatus} {done.FailureDetails?.ErrorMessage}");
            foreach (var hold in done.ReadOutputAs<List<LockHold>>()!)
            {
                history.Record(hold);
            }
        }

        AssertSafe(history, 300);
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

    private static void AssertSafe(LockHistory history, int minimumChecked)
    {
        var judged = history.Checked;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{history.Holds.Count} grants, {judged.Count} checked, {history.Holds.Count(h => !h.Released)} refused releases after expiry, " +
            $"{history.Holds.Count - judged.Count} seen only after their lease ended, tokens up to {history.Holds.Max(h => h.Token)}.");
        Assert.Empty(history.Violations());
        Assert.True(judged.Count >= minimumChecked, $"only {judged.Count} of {history.Holds.Count} grants were seen within their lease");
        Assert.Contains(judged, h => h.PausedPastLease && !h.Released);
        Assert.Contains(judged, h => h.Released);
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
