using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using Serverless.Core.Search.Caching;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Search;

/// <summary>
/// The search cache's Redis layer on the real Redis. The first GET is held at a gate (a pass-through decorator that
/// counts and waits, over the real RedisCache), so the other readers are sure to arrive while it is in flight.
/// </summary>
[RedisBacked]
public sealed class CoalescingDistributedCacheTests(ServicesFixture services)
{
    [Fact(Timeout = 15_000)]
    public async Task SixteenConcurrentReadsOfOneKeyShareOneRedisGet()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(services.Redis.ConnectionString);
        var gated = new GatedCache(Real(redis));
        var cache = new CoalescingDistributedCache(gated);
        var key = "coalesce-" + Guid.NewGuid().ToString("N");
        await gated.SetAsync(key, [1, 2, 3], new DistributedCacheEntryOptions(), TestContext.Current.CancellationToken);

        var reads = Enumerable.Range(0, 16).Select(_ => cache.GetAsync(key, TestContext.Current.CancellationToken)).ToList();
        gated.Open();
        var values = await Task.WhenAll(reads);

        Assert.Equal(1, gated.Gets);
        Assert.All(values, v => Assert.Equal(new byte[] { 1, 2, 3 }, v));
    }

    [Fact(Timeout = 15_000)]
    public async Task AReadStartedAfterAWriteNeverJoinsAReadFromBeforeIt()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(services.Redis.ConnectionString);
        var gated = new GatedCache(Real(redis));
        var cache = new CoalescingDistributedCache(gated);
        var key = "coalesce-" + Guid.NewGuid().ToString("N");
        await gated.SetAsync(key, [1], new DistributedCacheEntryOptions(), TestContext.Current.CancellationToken);

        var before = cache.GetAsync(key, TestContext.Current.CancellationToken);
        await cache.SetAsync(key, [2], new DistributedCacheEntryOptions(), TestContext.Current.CancellationToken);
        var after = cache.GetAsync(key, TestContext.Current.CancellationToken);
        gated.Open();

        Assert.Equal(new byte[] { 2 }, await after);
        Assert.Equal(2, gated.Gets);
        await before;
    }

    private static RedisCache Real(IConnectionMultiplexer redis) =>
        new(Options.Create(new RedisCacheOptions { ConnectionMultiplexerFactory = () => Task.FromResult(redis) }));

    // Passes every call to the real cache; GETs wait for Open() first and are counted.
    private sealed class GatedCache(IDistributedCache real) : IDistributedCache
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _gets;

        public int Gets => Volatile.Read(ref _gets);

        public void Open() => _gate.TrySetResult();

        public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
        {
            Interlocked.Increment(ref _gets);
            await _gate.Task.WaitAsync(token);
            return await real.GetAsync(key, token);
        }

        public byte[]? Get(string key) => real.Get(key);

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => real.Set(key, value, options);

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) => real.SetAsync(key, value, options, token);

        public void Refresh(string key) => real.Refresh(key);

        public Task RefreshAsync(string key, CancellationToken token = default) => real.RefreshAsync(key, token);

        public void Remove(string key) => real.Remove(key);

        public Task RemoveAsync(string key, CancellationToken token = default) => real.RemoveAsync(key, token);
    }
}
