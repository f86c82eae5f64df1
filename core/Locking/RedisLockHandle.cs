using Serverless.Core.Telemetry;

namespace Serverless.Core.Locking;

/// <summary>
/// A held Redis lock that renews itself every third of its lease until disposed. <see cref="Lost"/> is cancelled
/// as soon as the holder must stop working under the lock: a renewal found the lock gone or re-granted, renewals
/// kept failing until the last confirmed lease ran out, or <see cref="MaxHoldUntil"/> was reached. Renewals never
/// extend past the maximum hold time, so even a stuck process loses the key in Redis by then.
/// Pass <see cref="Token"/> to every fenced write: cancellation is a hint, the token is the guarantee.
/// </summary>
public sealed class RedisLockHandle : IAsyncDisposable
{
    private readonly RedisLock _lock;
    private readonly TimeSpan _lease;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _renewing = Task.CompletedTask;

    private RedisLockHandle(RedisLock redisLock, string name, LockResult grant, TimeSpan lease, TimeSpan maxHold, TimeProvider time)
    {
        _lock = redisLock;
        _lease = lease;
        _time = time;
        Name = name;
        Owner = grant.Owner!;
        Token = grant.Token;
        ExpiresAt = grant.ExpiresAt!.Value;
        MaxHoldUntil = time.GetUtcNow() + maxHold;
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>The random owner token of this grant.</summary>
    public string Owner { get; }

    /// <summary>The fencing token of this grant.</summary>
    public long Token { get; }

    /// <summary>The end of the last confirmed lease (a lower bound of the key's real expiry).</summary>
    public DateTimeOffset ExpiresAt { get; private set; }

    /// <summary>The lock is given up at this time however busy the holder is.</summary>
    public DateTimeOffset MaxHoldUntil { get; }

    /// <summary>Cancelled when the lock is lost, the maximum hold time is reached, or the handle is disposed.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Why <see cref="Lost"/> fired; null while held.</summary>
    public string? LostReason { get; private set; }

    internal static RedisLockHandle Start(RedisLock redisLock, string name, LockResult grant, TimeSpan lease, TimeSpan maxHold, TimeProvider time)
    {
        var handle = new RedisLockHandle(redisLock, name, grant, lease, maxHold, time);
        handle._renewing = Task.Run(handle.RenewLoopAsync);
        return handle;
    }

    /// <summary>Stops renewing and releases the lock (a no-op in Redis when it was already lost).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _renewing;
        if (LostReason is null)
        {
            await ReleaseQuietlyAsync();
            MarkLost("released");
        }

        // _lost stays undisposed: holders may still read Lost (or tokens linked to it) after disposal.
        _stop.Dispose();
    }

    private async Task RenewLoopAsync()
    {
        var interval = _lease / 3;
        try
        {
            while (true)
            {
                var now = _time.GetUtcNow();
                var untilMax = MaxHoldUntil - now;
                await Task.Delay(Min(interval, untilMax < TimeSpan.Zero ? TimeSpan.Zero : untilMax), _time, _stop.Token);
                now = _time.GetUtcNow();
                if (now >= MaxHoldUntil)
                {
                    await ReleaseQuietlyAsync();
                    MarkLost("maximum hold time reached");
                    return;
                }

                // The last renewal before the maximum hold already reaches it: a timer that wakes a hair early must not
                // renew for the remaining microseconds (a lease that rounds to 0 ms deletes the key, or it has just
                // expired), which would report a lost lock instead of the maximum hold.
                var lease = Min(_lease, MaxHoldUntil - now);
                if (now + lease <= ExpiresAt)
                {
                    continue;
                }

                if (!await TryRenewAsync(lease))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed: DisposeAsync releases.
        }
    }

    // False when the loop must end because the lock is lost.
    private async Task<bool> TryRenewAsync(TimeSpan lease)
    {
        try
        {
            var result = await _lock.ExtendAsync(Name, Owner, Token, lease);
            if (result.Holds)
            {
                ExpiresAt = result.ExpiresAt!.Value;
                return true;
            }

            LockMetrics.Expired(LockMetrics.Redis);
            MarkLost("the lock was gone or held by another owner at renewal");
            return false;
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            // Redis unreachable: keep trying while the last confirmed lease may still be ours, not a moment longer.
            if (_time.GetUtcNow() + _lease / 3 < ExpiresAt)
            {
                return true;
            }

            LockMetrics.Expired(LockMetrics.Redis);
            MarkLost($"renewals failed until the lease ran out ({ex.GetType().Name})");
            return false;
        }
    }

    private async Task ReleaseQuietlyAsync()
    {
        try
        {
            await _lock.ReleaseAsync(Name, Owner, Token);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            // The lease expires by itself; a failed release only delays the next holder.
        }
    }

    private void MarkLost(string reason)
    {
        LostReason ??= reason;
        _lost.Cancel();
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
