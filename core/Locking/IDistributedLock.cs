namespace Serverless.Core.Locking;

/// <summary>A named lock with leases and fencing tokens; implemented on Redis and on a durable entity.</summary>
public interface IDistributedLock
{
    /// <summary>Takes the lock, waiting up to <paramref name="wait"/> for it (zero: answer at once).</summary>
    Task<LockResult> AcquireAsync(string name, string owner, TimeSpan lease, TimeSpan wait, CancellationToken cancellationToken = default);

    /// <summary>Gives the lock up; only the holder can: <paramref name="owner"/> is the grant's <see cref="LockResult.Owner"/> (a random per-grant token, not the name asked with).</summary>
    Task<LockResult> ReleaseAsync(string name, string owner, long token, CancellationToken cancellationToken = default);

    /// <summary>Sets the holder's lease to <paramref name="lease"/> from now; only the holder can (<paramref name="owner"/> as for release).</summary>
    Task<LockResult> ExtendAsync(string name, string owner, long token, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>The lock as anyone may see it.</summary>
    Task<LockView> GetAsync(string name, CancellationToken cancellationToken = default);
}
