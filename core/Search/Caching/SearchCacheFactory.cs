using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Core.Redis;
using Serverless.Core.Telemetry;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;
using ZiggyCreatures.Caching.Fusion.Locking.Distributed.Redis;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace Serverless.Core.Search.Caching;

/// <summary>
/// Builds the search cache: FusionCache with L1 memory, L2 Redis (on the app's own connection), a Redis backplane
/// so every instance drops stale L1 entries, and a Redis distributed locker so a cold key is computed once across
/// instances (stampede protection). Fail-safe and eager refresh are on by default.
/// </summary>
internal static class SearchCacheFactory
{
    public static IFusionCache Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SearchOptions>>().Value;
        var keys = services.GetRequiredService<RedisKeys>();
        var redis = services.GetRequiredService<IConnectionMultiplexer>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var cacheName = keys.Namespace("search");
        var cache = new FusionCache(
            new FusionCacheOptions
            {
                CacheName = cacheName,
                CacheKeyPrefix = cacheName + ":",
                // FusionCache puts its wire-format version ("v2:") in front of distributed keys by default, which
                // moves them out from under the app's key prefix (the namespace an access policy or a scan selects).
                DistributedCacheKeyModifierMode = CacheKeyModifierMode.Suffix,
                DefaultEntryOptions = new FusionCacheEntryOptions
                {
                    Duration = options.CacheDuration,
                    MemoryCacheDuration = options.MemoryCacheDuration,
                    IsFailSafeEnabled = true,
                    FailSafeMaxDuration = options.FailSafeMaxDuration,
                    FailSafeThrottleDuration = options.FailSafeThrottleDuration,
                    EagerRefreshThreshold = options.EagerRefreshThreshold,
                    LockTimeout = options.LockTimeout,
                    // FusionCache 2.9 runs the factory when a distributed-lock wait times out, even while another
                    // instance still holds the lock and is computing the key: a bounded wait turns a slow search (a busy
                    // machine) into a second search of the same key. So the wait across instances is unbounded and ends
                    // when the holder stores the result; a holder that dies frees the lock after the locker's abandon
                    // timeout (30 s; the lock is auto-extended while held), the caller's token still cancels the wait,
                    // and a Redis error ends it (the request then computes on its own). Search:LockTimeout stays the
                    // wait for a request on this instance: past it a stale result is served if there is one, else the
                    // request joins the distributed-lock wait (the holder on this instance owns that lock too), so it
                    // never computes the key either.
                    DistributedLockTimeout = Timeout.InfiniteTimeSpan,
                    DistributedCacheSoftTimeout = TimeSpan.FromSeconds(1),
                    DistributedCacheHardTimeout = TimeSpan.FromSeconds(2),
                    AllowBackgroundDistributedCacheOperations = false,
                },
            },
            new MemoryCache(new MemoryCacheOptions()),
            loggers.CreateLogger<FusionCache>());

        Task<IConnectionMultiplexer> Shared() => Task.FromResult(redis);
        var json = new System.Text.Json.JsonSerializerOptions
        {
            TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(
                SearchJson.Default, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()),
        };
        cache.SetupSerializer(new CompressingSerializer(new FusionCacheSystemTextJsonSerializer(json), options.CompressionThresholdBytes));
        cache.SetupDistributedCache(new CoalescingDistributedCache(new RedisCache(Options.Create(new RedisCacheOptions { ConnectionMultiplexerFactory = Shared }))));
        cache.SetupBackplane(new RedisBackplane(Options.Create(new RedisBackplaneOptions { ConnectionMultiplexerFactory = Shared }), loggers.CreateLogger<RedisBackplane>()));
        cache.SetupDistributedLocker(new CacheStampedeLocker(
            new RedisDistributedLocker(Options.Create(new RedisDistributedLockerOptions { ConnectionMultiplexerFactory = Shared }), loggers.CreateLogger<RedisDistributedLocker>()), "search"));
        return cache;
    }

    private static T GetRequiredService<T>(this IServiceProvider services) where T : notnull =>
        (T)(services.GetService(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not registered."));
}
