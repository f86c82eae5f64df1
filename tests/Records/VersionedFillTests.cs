using Serverless.Core.Caching;
using Serverless.Core.Records;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Records;

/// <summary>The stale-set race of cache-aside (what memcache leases exist for), played step by step.</summary>
[RedisBacked]
public sealed class VersionedFillTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 30_000)]
    [InlineData(WritePolicy.CacheAside)]
    [InlineData(WritePolicy.WriteAround)]
    [InlineData(WritePolicy.WriteThrough)]
    public async Task AFillOfAnOlderVersionThatStallsPastAWriteNeverLands(WritePolicy policy)
    {
        var world = new RecordWorld(services);
        using var reader = await world.StartAsync();
        using var writer = await world.StartAsync();
        var collection = policy.Name();
        await writer.Store.PutAsync(collection, "k", "{\"n\":1}"u8.ToArray(), RecordPrecondition.None, Ct);
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        reader.Faults.BeforeFill = async _ =>
        {
            stalled.TrySetResult();
            await release.Task;
        };

        // Redis holds nothing for the key (write-through's set was for version 1, so clear it to force a table read).
        await reader.Database.KeyDeleteAsync((await reader.KeysAsync()).Where(k => k.Contains("/k", StringComparison.Ordinal)).Select(k => (StackExchange.Redis.RedisKey)k).ToArray());
        var slowRead = reader.Store.GetAsync(collection, "k", Ct);
        await stalled.Task.WaitAsync(Ct);
        var written = await writer.Store.PutAsync(collection, "k", "{\"n\":2}"u8.ToArray(), RecordPrecondition.None, Ct);
        release.TrySetResult();
        var old = await slowRead;
        reader.Faults.BeforeFill = null;

        var after = await reader.Store.GetAsync(collection, "k", Ct);
        Assert.Equal(1, old.Version);
        Assert.Equal(2, written.Version);
        Assert.Equal(2, after.Version);
    }

    [Fact(Timeout = 20_000)]
    public async Task ASetNeverReplacesANewerVersionAndAMarkerAdmitsOnlyItsOwnVersionOrNewer()
    {
        using var app = await RecordApp.StartAsync(services);
        var cache = app.Get<VersionedCache>();
        var key = (StackExchange.Redis.RedisKey)(app.Prefix + "cache-test");
        var ttl = TimeSpan.FromMinutes(1);

        Assert.True(await cache.SetIfNewerAsync(key, Present(5), ttl));
        Assert.False(await cache.SetIfNewerAsync(key, Present(4), ttl));
        Assert.False(await cache.SetIfNewerAsync(key, Present(5), ttl));
        Assert.True(await cache.InvalidateAsync(key, 7, ttl));
        Assert.False(await cache.SetIfNewerAsync(key, Present(6), ttl));
        Assert.False(await cache.InvalidateAsync(key, 7, ttl));
        Assert.True(await cache.SetIfNewerAsync(key, Present(7), ttl));
        Assert.False(await cache.InvalidateAsync(key, 7, ttl));
        Assert.Equal(7, (await cache.GetAsync(key))!.Version);
        Assert.Equal(CacheEntryState.Present, (await cache.GetAsync(key))!.State);
    }

    [Fact(Timeout = 20_000)]
    public async Task AWriteOnOneInstanceDropsTheOtherInstancesL1()
    {
        var world = new RecordWorld(services);
        using var first = await world.StartAsync();
        using var second = await world.StartAsync();
        var collection = WritePolicy.CacheAside.Name();
        await first.Store.PutAsync(collection, "k", "{\"n\":1}"u8.ToArray(), RecordPrecondition.None, Ct);
        // The write's own invalidation may reach the second instance during its first read, which then refuses to
        // fill L1 (a drop since it began); poll until L1 answers.
        var warm = DateTime.UtcNow.AddSeconds(10);
        while ((await second.Store.GetAsync(collection, "k", Ct)).Layer != CacheLayer.L1 && DateTime.UtcNow < warm)
        {
        }

        Assert.Equal(CacheLayer.L1, (await second.Store.GetAsync(collection, "k", Ct)).Layer);

        await first.Store.PutAsync(collection, "k", "{\"n\":2}"u8.ToArray(), RecordPrecondition.None, Ct);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        RecordResult read;
        do
        {
            read = await second.Store.GetAsync(collection, "k", Ct);
        }
        while (read.Version < 2 && DateTime.UtcNow < deadline);
        Assert.Equal(2, read.Version);
    }

    private static CacheEntry Present(long version) => new(version, CacheEntryState.Present, new byte[] { 1 });
}
