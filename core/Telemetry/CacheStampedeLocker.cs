using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ZiggyCreatures.Caching.Fusion.Locking.Distributed;

namespace Serverless.Core.Telemetry;

/// <summary>
/// FusionCache's distributed locker (the lock across instances that makes one instance compute a cold key) with
/// stampede waits counted: the lock is first tried without waiting, and only a caller that finds it held (another
/// instance computing the same key) is counted, with how long it waited. Written here because FusionCache reports hits,
/// misses and factory runs but not whether a lookup waited on another instance's computation. The memory lock that
/// queues callers on one instance is FusionCache's internal type and cannot be wrapped, so waits behind a caller on
/// the same instance are not counted.
/// </summary>
/// <remarks>The extra try costs one Redis round trip on a cold key only, beside the several a miss makes anyway.</remarks>
internal sealed class CacheStampedeLocker(IFusionCacheDistributedLocker inner, string cache) : IFusionCacheDistributedLocker, IDisposable
{
    /// <inheritdoc />
    public async ValueTask<object?> AcquireLockAsync(
        string cacheName, string cacheInstanceId, string operationId, string key, string lockName, TimeSpan timeout, ILogger? logger, CancellationToken token)
    {
        if (await inner.AcquireLockAsync(cacheName, cacheInstanceId, operationId, key, lockName, TimeSpan.Zero, logger, token) is { } free)
        {
            return free;
        }

        var started = Stopwatch.GetTimestamp();
        var taken = await inner.AcquireLockAsync(cacheName, cacheInstanceId, operationId, key, lockName, timeout, logger, token);
        CacheMetrics.StampedeWait(cache, started);
        return taken;
    }

    /// <inheritdoc />
    public object? AcquireLock(
        string cacheName, string cacheInstanceId, string operationId, string key, string lockName, TimeSpan timeout, ILogger? logger, CancellationToken token)
    {
        if (inner.AcquireLock(cacheName, cacheInstanceId, operationId, key, lockName, TimeSpan.Zero, logger, token) is { } free)
        {
            return free;
        }

        var started = Stopwatch.GetTimestamp();
        var taken = inner.AcquireLock(cacheName, cacheInstanceId, operationId, key, lockName, timeout, logger, token);
        CacheMetrics.StampedeWait(cache, started);
        return taken;
    }

    /// <inheritdoc />
    public ValueTask ReleaseLockAsync(
        string cacheName, string cacheInstanceId, string operationId, string key, string lockName, object? lockObj, ILogger? logger, CancellationToken token) =>
        inner.ReleaseLockAsync(cacheName, cacheInstanceId, operationId, key, lockName, lockObj, logger, token);

    /// <inheritdoc />
    public void ReleaseLock(
        string cacheName, string cacheInstanceId, string operationId, string key, string lockName, object? lockObj, ILogger? logger, CancellationToken token) =>
        inner.ReleaseLock(cacheName, cacheInstanceId, operationId, key, lockName, lockObj, logger, token);

    /// <inheritdoc />
    public void Dispose() => (inner as IDisposable)?.Dispose();
}
