using System.Diagnostics.Metrics;

namespace Serverless.Core.Telemetry;

/// <summary>
/// Meter <c>Serverless.Locks</c>: grants, waits, expiries and fencing refusals per backend (<c>entity</c>,
/// <c>redis</c>). Lock names, owners and tokens are never tags: names are unbounded, owners and tokens authorize.
/// </summary>
public static class LockMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Serverless.Locks";

    /// <summary>Tag: <c>entity</c> or <c>redis</c>.</summary>
    public const string BackendTag = "lock.backend";

    /// <summary>Tag: what was refused: <c>release</c>, <c>extend</c> (a stale grant at the lock) or <c>fenced-write</c>.</summary>
    public const string OperationTag = "lock.operation";

    /// <summary>The durable entity backend.</summary>
    public const string Entity = "entity";

    /// <summary>The Redis backend.</summary>
    public const string Redis = "redis";

    private static readonly Meter Meter = new(MeterName, ServerlessTelemetry.Version);

    /// <summary><c>serverless.lock.grants</c> ({grant}): leases granted (a first grant or a waiter's turn).</summary>
    public static readonly Counter<long> Grants = Meter.CreateCounter<long>(
        "serverless.lock.grants", "{grant}", "Leases granted, at once or to a waiter.");

    /// <summary><c>serverless.lock.waits</c> ({wait}): acquires that found the lock held and waited for it.</summary>
    public static readonly Counter<long> Waits = Meter.CreateCounter<long>(
        "serverless.lock.waits", "{wait}", "Acquires that found the lock held and waited (entity: joined the line; redis: retried).");

    /// <summary><c>serverless.lock.expiries</c> ({lease}): leases that ended without a release.</summary>
    public static readonly Counter<long> Expiries = Meter.CreateCounter<long>(
        "serverless.lock.expiries", "{lease}", "Leases that ran out under their holder (entity: ended by the entity; redis: found gone by the holder's renewal).");

    /// <summary><c>serverless.lock.fencing.refusals</c> ({request}): requests refused for a stale or unknown grant.</summary>
    public static readonly Counter<long> FencingRefusals = Meter.CreateCounter<long>(
        "serverless.lock.fencing.refusals", "{request}", "Release, extend or fenced write refused because its grant or token was no longer current.");

    private static readonly KeyValuePair<string, object?> EntityTag = new(BackendTag, Entity);
    private static readonly KeyValuePair<string, object?> RedisTag = new(BackendTag, Redis);

    /// <summary>Counts a grant.</summary>
    public static void Granted(string backend) => Grants.Add(1, Tag(backend));

    /// <summary>Counts an acquire that waits.</summary>
    public static void Waited(string backend) => Waits.Add(1, Tag(backend));

    /// <summary>Counts a lease that ran out.</summary>
    public static void Expired(string backend) => Expiries.Add(1, Tag(backend));

    /// <summary>Counts a release or extend refused at the lock (<paramref name="operation"/>: <c>release</c> or <c>extend</c>).</summary>
    public static void Refused(string backend, string operation) => FencingRefusals.Add(1, Tag(backend), new(OperationTag, operation));

    /// <summary>
    /// Counts a refusal unless <paramref name="accepted"/>. A <paramref name="backend"/> of null is a fenced resource's
    /// refusal (<c>fenced-write</c>): the resource only sees a number and cannot tell which backend minted it.
    /// </summary>
    public static void RefusedUnless(bool accepted, string? backend, string operation)
    {
        if (accepted)
        {
            return;
        }

        if (backend is null)
        {
            FencingRefusals.Add(1, new KeyValuePair<string, object?>(OperationTag, operation));
        }
        else
        {
            Refused(backend, operation);
        }
    }

    private static KeyValuePair<string, object?> Tag(string backend) => backend == Entity ? EntityTag : RedisTag;
}
