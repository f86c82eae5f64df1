using System.Text.Json;
using Azure.Data.Tables;
using Serverless.Core.Locking;
using Serverless.Core.Storage;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Locks;

/// <summary>Redis lock keys on a cluster, fencing tokens that never go backwards when Redis forgets, and idle cleanup.</summary>
public sealed class RedisFencingTests(ServicesFixture services)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 15_000)]
    public async Task LockAndFenceKeysShareTheLockNamesHashSlot()
    {
        using var app = await LockApp.StartAsync(services);
        var redis = app.Get<IConnectionMultiplexer>();

        var lockKey = app.Redis.LockKey("doc");
        var fenceKey = app.Redis.FenceKey("doc");

        Assert.Equal(app.Prefix + "lock:{doc}", (string?)lockKey);
        Assert.Equal(app.Prefix + "lock:{doc}:fence", (string?)fenceKey);
        Assert.Equal(redis.HashSlot("doc"), redis.HashSlot(lockKey));
        Assert.Equal(redis.HashSlot(lockKey), redis.HashSlot(fenceKey));
    }

    [Fact(Timeout = 15_000)]
    public async Task LosingTheFenceKeyStartsANewEpochAboveEveryEarlierToken()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        var earlier = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var grant = await app.Redis.TryAcquireAsync("doc", Long, ct);
            earlier.Add(grant.Token);
            await app.Redis.ReleaseAsync("doc", grant.Owner!, grant.Token, ct);
        }

        await app.Database.KeyDeleteAsync(app.Redis.FenceKey("doc"));
        var after = await app.Redis.TryAcquireAsync("doc", Long, ct);

        Assert.Equal(LockOutcome.Granted, after.Outcome);
        Assert.True(after.Token > earlier.Max(), $"token {after.Token} after the fence was lost, earlier up to {earlier.Max()}");
        Assert.Equal(FencingToken.EpochOf(earlier[0]) + 1, FencingToken.EpochOf(after.Token));
    }

    [Fact(Timeout = 15_000)]
    public async Task ACounterAtTheEndOfItsEpochRollsIntoTheNextEpoch()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        var first = await app.Redis.TryAcquireAsync("doc", Long, ct);
        await app.Redis.ReleaseAsync("doc", first.Owner!, first.Token, ct);
        var lastOfEpoch = FencingToken.Floor(FencingToken.EpochOf(first.Token)) + FencingToken.CounterSpan - 1;
        await app.Database.StringSetAsync(app.Redis.FenceKey("doc"), lastOfEpoch);

        var next = await app.Redis.TryAcquireAsync("doc", Long, ct);

        Assert.Equal(LockOutcome.Granted, next.Outcome);
        Assert.Equal(FencingToken.Floor(FencingToken.EpochOf(first.Token) + 1) + 1, next.Token);
        Assert.True(next.Token > lastOfEpoch);
    }

    /// <summary>
    /// Tokens near 2^53 are where doubles (JSON readers, Lua numbers) and Lua's 14-digit number printing would first go
    /// wrong: the holder's own value must still match for release and extend, and the view must show the same token.
    /// </summary>
    [Fact(Timeout = 15_000)]
    public async Task TokensStayExactUpToTheLastEpochAndThenAcquireFailsRatherThanWrap()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        await SetEpochAsync(app, "doc", FencingToken.MaxEpoch - 1);

        var top = await app.Redis.TryAcquireAsync("doc", Long, ct);
        var view = await app.Redis.GetAsync("doc", ct);
        var json = JsonDocument.Parse(JsonSerializer.Serialize(top, JsonSerializerOptions.Web)).RootElement.GetProperty("token");
        var extended = await app.Redis.ExtendAsync("doc", top.Owner!, top.Token, Long, ct);
        var released = await app.Redis.ReleaseAsync("doc", top.Owner!, top.Token, ct);
        await app.Database.KeyDeleteAsync(app.Redis.FenceKey("doc"));
        var exhausted = await Assert.ThrowsAsync<InvalidOperationException>(() => app.Redis.TryAcquireAsync("doc", Long, ct));

        Assert.Equal(FencingToken.Floor(FencingToken.MaxEpoch) + 1, top.Token);
        Assert.True(top.Token < 1L << 53);
        Assert.Equal((top.Token, top.Token), (view.Token, view.LastToken));
        Assert.Equal(top.Token, (long)json.GetDouble());
        Assert.Equal(LockOutcome.Extended, extended.Outcome);
        Assert.Equal(LockOutcome.Released, released.Outcome);
        Assert.Contains("used up", exhausted.Message, StringComparison.Ordinal);
    }

    /// <summary>A client that set its seeding marker and then died blocks the lock only until the marker expires.</summary>
    [Fact(Timeout = 30_000)]
    public async Task AClientStartingAnEpochKeepsOthersBusyOnlyUntilItsMarkerExpires()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services);
        await app.Database.StringSetAsync(app.Redis.FenceKey("doc"), "seeding:vanished-client", TimeSpan.FromSeconds(1));

        var whileSeeding = await app.Redis.TryAcquireAsync("doc", Long, ct);
        var later = await PollAsync(() => app.Redis.TryAcquireAsync("doc", Long, ct), r => r.Holds, TimeSpan.FromSeconds(20), ct);

        Assert.Equal(LockOutcome.Busy, whileSeeding.Outcome);
        Assert.Equal(LockOutcome.Granted, later.Outcome);
        Assert.Equal(1, FencingToken.EpochOf(later.Token));
    }

    [Fact(Timeout = 15_000)]
    public async Task WhileHeldTheFenceOutlivesTheLeaseByTheIdleTime()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services, settings: new Dictionary<string, string?> { ["Locking:RedisFenceIdleMs"] = "60000" });
        var grant = await app.Redis.TryAcquireAsync("doc", Long, ct);
        await app.Redis.ExtendAsync("doc", grant.Owner!, grant.Token, TimeSpan.FromSeconds(40), ct);

        var lockTtl = await app.Database.KeyTimeToLiveAsync(app.Redis.LockKey("doc"));
        var fenceTtl = await app.Database.KeyTimeToLiveAsync(app.Redis.FenceKey("doc"));

        Assert.NotNull(lockTtl);
        Assert.NotNull(fenceTtl);
        Assert.InRange(fenceTtl.Value - lockTtl.Value, TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// One lock released and one left to expire: after the (short, test-sized) idle time neither leaves a key in Redis,
    /// and both grant again above their earlier tokens.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task AnIdleLockLeavesNoKeyInRedisAndItsNextTokenIsStillHigher()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await LockApp.StartAsync(services, settings: new Dictionary<string, string?> { ["Locking:RedisFenceIdleMs"] = "1000" });
        var released = await app.Redis.TryAcquireAsync("released", Long, ct);
        await app.Redis.ReleaseAsync("released", released.Owner!, released.Token, ct);
        var expired = await app.Redis.TryAcquireAsync("expired", TimeSpan.FromMilliseconds(500), ct);
        Assert.NotEmpty(await app.KeysOnAllPrimariesAsync());

        var left = await PollAsync(app.KeysOnAllPrimariesAsync, keys => keys.Count == 0, TimeSpan.FromSeconds(30), ct);
        var releasedAgain = await app.Redis.TryAcquireAsync("released", Long, ct);
        var expiredAgain = await app.Redis.TryAcquireAsync("expired", Long, ct);

        Assert.Empty(left);
        Assert.True(releasedAgain.Token > released.Token);
        Assert.True(expiredAgain.Token > expired.Token);
    }

    /// <summary>
    /// The failure: Redis restarted without persistence used to count again from 1 while the old holder's token
    /// 4 was still accepted by the fenced resource. Here the old holder's lease is lost with Redis, the next grant comes
    /// from a new epoch above every earlier token, and the resource refuses the old holder.
    /// </summary>
    [Fact(Timeout = 90_000)]
    public async Task AfterARedisRestartWithoutPersistenceTokensStayAboveEveryEarlierOneAndTheOldHolderIsFenced()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await OwnRedisServer.StartAsync();
        using var app = await LockApp.StartAsync(services, settings: new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString });
        var earlier = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var grant = await app.Redis.TryAcquireAsync("doc", Long, ct);
            earlier.Add(grant.Token);
            await app.Redis.ReleaseAsync("doc", grant.Owner!, grant.Token, ct);
        }

        var oldHolder = await app.Redis.TryAcquireAsync("doc", Long, ct);
        earlier.Add(oldHolder.Token);
        Assert.True((await app.Fenced.WriteAsync("doc", "1", "from the old holder", oldHolder.Token, ct)).Accepted);
        Assert.Equal(LockOutcome.Busy, (await app.Redis.TryAcquireAsync("doc", Long, ct)).Outcome);

        await redis.RestartAsync();
        var newHolder = await PollAsync(() => TryWhileReconnectingAsync(() => app.Redis.TryAcquireAsync("doc", Long, ct)), r => r?.Holds == true,
            TimeSpan.FromSeconds(45), ct);
        Assert.True(newHolder is not null, "no grant within 45 s of the restart (did the app reconnect?)");
        var newWrite = await app.Fenced.WriteAsync("doc", "1", "from the new holder", newHolder.Token, ct);
        var lateWrite = await app.Fenced.WriteAsync("doc", "1", "late write", oldHolder.Token, ct);

        Assert.True(newHolder.Token > earlier.Max(), $"token {newHolder.Token} after the restart, earlier ones up to {earlier.Max()}");
        Assert.True(newWrite.Accepted);
        Assert.Equal(new FencedWrite(false, newHolder.Token), lateWrite);
        Assert.Equal("from the new holder", (await app.Fenced.ReadAsync("doc", "1", ct))!.Value);
    }

    private static async Task SetEpochAsync(LockApp app, string name, long epoch)
    {
        var options = app.Get<Microsoft.Extensions.Options.IOptions<LockingOptions>>().Value;
        var table = app.Get<StorageClients>().Tables.GetTableClient(options.EpochTable);
        await table.CreateIfNotExistsAsync();
        await table.UpsertEntityAsync(new TableEntity(app.Prefix, name) { ["Epoch"] = epoch }, TableUpdateMode.Replace);
    }

    // Null while the app's connection has not come back after the restart.
    private static async Task<T?> TryWhileReconnectingAsync<T>(Func<Task<T>> action) where T : class
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return null;
        }
    }

    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(100, ct);
        }
    }
}
