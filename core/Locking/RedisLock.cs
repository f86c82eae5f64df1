using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Serverless.Core.Redis;
using StackExchange.Redis;

namespace Serverless.Core.Locking;

/// <summary>
/// A lease lock on one Redis with fencing tokens. Hand-written because the well-kept .NET locks (DistributedLock,
/// RedLock.net) mint no fencing token, and without one a holder paused past its lease (GC, VM stall) can still
/// overwrite the work of the next holder (Kleppmann, "How to do distributed locking"). Single-node on purpose:
/// the safety comes from the token checked by the resource, not from quorum timing.
/// Waiting acquires retry with jittered backoff; Redis keeps no queue, so there is no FIFO order here (the entity
/// lock has one).
/// </summary>
public sealed class RedisLock(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time, IOptions<LockingOptions> options) : IDistributedLock
{
    private const string Feature = "lock";

    /// <summary>
    /// Takes a free lock at once. A fresh random owner token is minted per grant (<see cref="LockResult.Owner"/>);
    /// release and extend need it: on Redis the random token is the holder's identity.
    /// </summary>
    public async Task<LockResult> TryAcquireAsync(string name, TimeSpan lease)
    {
        var ownerToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

        // Taken before the call: the key's real expiry is later than this, so the holder never believes in a lease
        // that Redis has already ended.
        var sentAt = time.GetUtcNow();
        var result = (RedisResult[])(await RedisLockScripts.Acquire.EvaluateAsync(
            Db, [LockKey(name), FenceKey(name)], [ownerToken, (long)lease.TotalMilliseconds]))!;
        return (long)result[0] == 1
            ? new LockResult(LockOutcome.Granted, ownerToken, (long)result[1], sentAt + lease)
            : LockResult.Refused(LockOutcome.Busy);
    }

    /// <inheritdoc />
    /// <remarks><paramref name="owner"/> is not stored: each grant gets its own random owner token instead.</remarks>
    public async Task<LockResult> AcquireAsync(string name, string owner, TimeSpan lease, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        var deadline = time.GetUtcNow() + wait;
        var delay = TimeSpan.FromMilliseconds(5);
        var maxDelay = TimeSpan.FromMilliseconds(options.Value.RedisRetryMaxDelayMs);
        while (true)
        {
            var result = await TryAcquireAsync(name, lease);
            var left = deadline - time.GetUtcNow();
            if (result.Holds || left <= TimeSpan.Zero)
            {
                return result;
            }

            // Jitter spreads competing waiters so they do not retry in lockstep.
            var pause = TimeSpan.FromMilliseconds(delay.TotalMilliseconds * (0.5 + Random.Shared.NextDouble()));
            await Task.Delay(pause < left ? pause : left, time, cancellationToken);
            delay = delay * 2 < maxDelay ? delay * 2 : maxDelay;
        }
    }

    /// <inheritdoc />
    public async Task<LockResult> ReleaseAsync(string name, string owner, long token, CancellationToken cancellationToken = default)
    {
        var released = (long)await RedisLockScripts.Release.EvaluateAsync(Db, [LockKey(name), FenceKey(name)], [Value(owner, token)]);
        return released == 1 ? new LockResult(LockOutcome.Released, owner, token, null) : LockResult.Refused(LockOutcome.NotHolder);
    }

    /// <inheritdoc />
    public async Task<LockResult> ExtendAsync(string name, string owner, long token, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var sentAt = time.GetUtcNow();
        var extended = (long)await RedisLockScripts.Extend.EvaluateAsync(
            Db, [LockKey(name), FenceKey(name)], [Value(owner, token), (long)lease.TotalMilliseconds]);
        return extended == 1 ? new LockResult(LockOutcome.Extended, owner, token, sentAt + lease) : LockResult.Refused(LockOutcome.NotHolder);
    }

    /// <inheritdoc />
    public async Task<LockView> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var result = (RedisResult[])(await RedisLockScripts.Get.EvaluateAsync(Db, [LockKey(name), FenceKey(name)], []))!;
        var last = result[2].IsNull ? 0 : (long)result[2];
        if (result[0].IsNull)
        {
            return new LockView(false, 0, null, last, 0);
        }

        var value = (string)result[0]!;
        var token = long.Parse(value.AsSpan(0, value.IndexOf(':', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        return new LockView(true, token, now + TimeSpan.FromMilliseconds((long)result[1]), last, 0);
    }

    /// <summary>
    /// Takes the lock (waiting up to <paramref name="wait"/>) and keeps renewing it in the background until disposed;
    /// null when not granted in time. See <see cref="RedisLockHandle"/>.
    /// </summary>
    public async Task<RedisLockHandle?> HoldAsync(string name, TimeSpan lease, TimeSpan maxHold, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHold, lease);
        var result = await AcquireAsync(name, owner: "", lease, wait, cancellationToken);
        return result.Holds ? RedisLockHandle.Start(this, name, result, lease, maxHold, time) : null;
    }

    private IDatabase Db => redis.GetDatabase();

    private RedisKey LockKey(string name) => keys.For(Feature, name);

    private RedisKey FenceKey(string name) => keys.For(Feature + "fence", name);

    private static string Value(string owner, long token) => token.ToString(CultureInfo.InvariantCulture) + ":" + owner;
}
