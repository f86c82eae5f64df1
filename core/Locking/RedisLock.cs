using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Serverless.Core.Redis;
using Serverless.Core.Telemetry;
using StackExchange.Redis;

namespace Serverless.Core.Locking;

/// <summary>
/// A lease lock on one Redis with fencing tokens. Hand-written because the well-kept .NET locks (DistributedLock,
/// RedLock.net) mint no fencing token, and without one a holder paused past its lease (GC, VM stall) can still
/// overwrite the work of the next holder (Kleppmann, "How to do distributed locking"). One Redis node per lock on
/// purpose (on a cluster, the shard of the lock name's hash slot): the safety comes from the token checked by the
/// resource, not from quorum timing, and the token survives Redis forgetting it through an epoch kept in Table storage
/// (<see cref="FencingToken"/>).
/// Waiting acquires retry with jittered backoff; Redis keeps no queue, so there is no FIFO order here (the entity
/// lock has one).
/// </summary>
public sealed class RedisLock(
    IConnectionMultiplexer redis, RedisKeys keys, LockEpochs epochs, TimeProvider time, IOptions<LockingOptions> options) : IDistributedLock
{
    private const string Feature = "lock";

    // Each fetch after the first means Redis lost the seeding marker again (data lost while we asked Table storage):
    // after this many, answer Busy and let the caller's retry find a calmer Redis.
    private const int MaxEpochFetches = 3;

    // How long a client fetching a new epoch keeps others off the fence: a Table round trip with a wide margin. If
    // that client dies meanwhile, the lock is free again after this.
    private static readonly TimeSpan SeedingTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Takes a free lock at once. A fresh random owner token is minted per grant (<see cref="LockResult.Owner"/>);
    /// release and extend need it: on Redis the random token is the holder's identity. The first grant of a lock, and
    /// the first after its fence expired or Redis lost it, also moves the lock's epoch up in Table storage.
    /// </summary>
    public async Task<LockResult> TryAcquireAsync(string name, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        var ownerToken = Convert.ToHexStringLower(random);
        var floor = 0L;
        for (var fetches = 0; ; fetches++)
        {
            // Taken before the call: the key's real expiry is later than this, so the holder never believes in a lease
            // that Redis has already ended.
            var sentAt = time.GetUtcNow();
            var result = (RedisResult[])(await RedisLockScripts.Acquire.EvaluateAsync(
                Db, Keys(name), RedisLockScripts.AcquireArgs(ownerToken, lease, FenceTtl(lease), SeedingTimeout, floor)))!;
            switch ((long)result[0])
            {
                case RedisLockScripts.Granted:
                    LockMetrics.Granted(LockMetrics.Redis);
                    return new LockResult(LockOutcome.Granted, ownerToken, (long)result[1], sentAt + lease);
                case RedisLockScripts.NeedsEpoch when fetches < MaxEpochFetches:
                    floor = FencingToken.Floor(await epochs.BumpAsync(name, cancellationToken));
                    break;
                default:
                    return LockResult.Refused(LockOutcome.Busy);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks><paramref name="owner"/> is not stored: each grant gets its own random owner token instead.</remarks>
    public async Task<LockResult> AcquireAsync(string name, string owner, TimeSpan lease, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        var deadline = time.GetUtcNow() + wait;
        var delay = TimeSpan.FromMilliseconds(5);
        var maxDelay = TimeSpan.FromMilliseconds(options.Value.RedisRetryMaxDelayMs);
        for (var tries = 0; ; tries++)
        {
            var result = await TryAcquireAsync(name, lease, cancellationToken);
            var left = deadline - time.GetUtcNow();
            if (result.Holds || left <= TimeSpan.Zero)
            {
                return result;
            }

            if (tries == 0)
            {
                LockMetrics.Waited(LockMetrics.Redis);
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
        var released = (long)await RedisLockScripts.Release.EvaluateAsync(
            Db, Keys(name), RedisLockScripts.ReleaseArgs(Value(owner, token), options.Value.RedisFenceIdle));
        LockMetrics.RefusedUnless(released == 1, LockMetrics.Redis, "release");
        return released == 1 ? new LockResult(LockOutcome.Released, owner, token, null) : LockResult.Refused(LockOutcome.NotHolder);
    }

    /// <inheritdoc />
    public async Task<LockResult> ExtendAsync(string name, string owner, long token, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var sentAt = time.GetUtcNow();
        var extended = (long)await RedisLockScripts.Extend.EvaluateAsync(
            Db, Keys(name), RedisLockScripts.ExtendArgs(Value(owner, token), lease, FenceTtl(lease)));
        LockMetrics.RefusedUnless(extended == 1, LockMetrics.Redis, "extend");
        return extended == 1 ? new LockResult(LockOutcome.Extended, owner, token, sentAt + lease) : LockResult.Refused(LockOutcome.NotHolder);
    }

    /// <inheritdoc />
    /// <remarks>
    /// <see cref="LockView.LastToken"/> is 0 once the lock has been idle past its fence's expiry (or Redis lost it);
    /// the next grant is still above every earlier token.
    /// </remarks>
    public async Task<LockView> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var result = (RedisResult[])(await RedisLockScripts.Get.EvaluateAsync(Db, Keys(name), []))!;

        // The fence holds a seeding marker instead of a number while a new epoch is fetched.
        var last = long.TryParse((string?)result[2], NumberStyles.None, CultureInfo.InvariantCulture, out var fence) ? fence : 0;
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

    /// <summary>The lock key, <c>{prefix}lock:{name}</c> with the name in braces as the cluster hash tag.</summary>
    internal RedisKey LockKey(string name) => keys.For(Feature, HashTag(name));

    /// <summary>The fence key, <c>{prefix}lock:{name}:fence</c>: the lock key's hash tag, so both live in one slot.</summary>
    internal RedisKey FenceKey(string name) => keys.For(Feature, HashTag(name), "fence");

    private IDatabase Db => redis.GetDatabase();

    private RedisKey[] Keys(string name) => [LockKey(name), FenceKey(name)];

    // Lock names cannot hold braces (LockRules), so the name is the whole tag and the prefix stays outside it.
    private static string HashTag(string name) => "{" + name + "}";

    // The fence outlives the lease it is set with by the idle time, so it never expires under a live lease.
    private TimeSpan FenceTtl(TimeSpan lease) => lease + options.Value.RedisFenceIdle;

    private static string Value(string owner, long token) => token.ToString(CultureInfo.InvariantCulture) + ":" + owner;
}
