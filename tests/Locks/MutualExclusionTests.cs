using Azure;
using Azure.Data.Tables;
using Serverless.Core.Locking;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;

namespace Serverless.Tests.Locks;

/// <summary>
/// 20 workers each read a Table entity, pause, and write back value + 1 (unconditional writes, like naive code).
/// With the lock the count is exact; the control run without it loses updates, which shows the test can fail.
/// </summary>
[Collection(DurableCollection.Name)]
public sealed class MutualExclusionTests(ServicesFixture services, MutualExclusionTests.Fixture fixture) : IClassFixture<MutualExclusionTests.Fixture>
{
    private const int Workers = 20;

    [Fact(Timeout = 30_000)]
    public async Task WithoutALockConcurrentReadModifyWritesLoseUpdates()
    {
        using var app = await LockApp.StartAsync(services);
        var table = await app.RawTableAsync();

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(() => IncrementAsync(table, "control"))));

        Assert.InRange(await ReadAsync(table, "control"), 1, Workers - 1);
    }

    [RedisBacked]
    [Fact(Timeout = 30_000)]
    public async Task RedisLockMakesTwentyReadModifyWritesExact()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        var table = await app.RawTableAsync();

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(i => Task.Run(() => LockedIncrementAsync(app.Redis, table, "redis", $"w{i}", ct))));

        Assert.Equal(Workers, await ReadAsync(table, "redis"));
    }

    [Fact(Timeout = 120_000)]
    public async Task EntityLockMakesTwentyReadModifyWritesExact()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        var table = await app.RawTableAsync();

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(i => Task.Run(() => LockedIncrementAsync(fixture.Locks, table, "entity", $"w{i}", ct))));

        Assert.Equal(Workers, await ReadAsync(table, "entity"));
    }

    private static async Task LockedIncrementAsync(IDistributedLock locks, TableClient table, string row, string owner, CancellationToken ct)
    {
        var grant = await locks.AcquireAsync("counter-" + row, owner, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(100), ct);
        Assert.Equal(LockOutcome.Granted, grant.Outcome);
        try
        {
            await IncrementAsync(table, row);
        }
        finally
        {
            Assert.Equal(LockOutcome.Released, (await locks.ReleaseAsync("counter-" + row, grant.Owner!, grant.Token, ct)).Outcome);
        }
    }

    private static async Task IncrementAsync(TableClient table, string row)
    {
        var value = await ReadAsync(table, row);

        // Widens the race window as a slow worker would.
        await Task.Delay(30);
        await table.UpsertEntityAsync(new TableEntity("rmw", row) { ["Value"] = value + 1 }, TableUpdateMode.Replace);
    }

    private static async Task<long> ReadAsync(TableClient table, string row)
    {
        var found = await table.GetEntityIfExistsAsync<TableEntity>("rmw", row);
        return found.HasValue ? found.Value!.GetInt64("Value") ?? 0 : 0;
    }

    public sealed class Fixture(ServicesFixture services) : LocksDurableFixture(services);
}
