using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Locking;

/// <summary>Lock limits. Bound from the <c>Locking</c> configuration section and validated at start-up.</summary>
public sealed class LockingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Locking";

    /// <summary>Longest lease a caller may ask for, in milliseconds; a vanished holder blocks others at most this long.</summary>
    [Range(1_000, 86_400_000)]
    public int MaxLeaseMs { get; set; } = 300_000;

    /// <summary>Longest a caller may wait for a grant, in milliseconds (bounds how long an HTTP request stays open).</summary>
    [Range(0, 230_000)]
    public int MaxWaitMs { get; set; } = 60_000;

    /// <summary>Longest pause between two tries of a waiting Redis acquire, in milliseconds.</summary>
    [Range(1, 5_000)]
    public int RedisRetryMaxDelayMs { get; set; } = 200;

    /// <summary>Table holding fenced records (the example resource that refuses stale tokens).</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    public string FencedTable { get; set; } = "fenced";

    /// <summary>
    /// Table holding each Redis lock's epoch, the durable part of its fencing tokens (see <c>FencingToken</c>).
    /// Never delete it while the app runs: without it tokens can start below ones already handed out.
    /// </summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    public string EpochTable { get; set; } = "lockepochs";

    /// <summary>
    /// How long a Redis lock's fence counter outlives its last lease, in milliseconds; after that the lock leaves no key
    /// in Redis. The next grant then starts a new epoch (a Table round trip), and each epoch is spent for good, so keep
    /// this hours, not seconds, outside tests.
    /// </summary>
    [Range(1_000, 604_800_000)]
    public int RedisFenceIdleMs { get; set; } = 86_400_000;

    /// <summary><see cref="RedisFenceIdleMs"/> as a time span.</summary>
    public TimeSpan RedisFenceIdle => TimeSpan.FromMilliseconds(RedisFenceIdleMs);

    /// <summary><see cref="MaxLeaseMs"/> as a time span.</summary>
    public TimeSpan MaxLease => TimeSpan.FromMilliseconds(MaxLeaseMs);

    /// <summary><see cref="MaxWaitMs"/> as a time span.</summary>
    public TimeSpan MaxWait => TimeSpan.FromMilliseconds(MaxWaitMs);
}
