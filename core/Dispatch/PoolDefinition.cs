namespace Serverless.Core.Dispatch;

/// <summary>A pool as its owner defines it: policy, targets and an optional active-probe path.</summary>
/// <param name="Policy">How targets are chosen.</param>
/// <param name="Targets">The targets, in order (round robin follows it).</param>
/// <param name="ProbePath">Path the probe timer GETs on each HTTP target; null = no active probing.</param>
/// <param name="PassSetCookie">Relay targets' <c>Set-Cookie</c> to callers (off by default: a target's cookie would be set on the app's domain).</param>
/// <param name="Hashing">Key and bounds for <c>ring-hash</c> and <c>maglev</c> (required by them, null for the other policies).</param>
public sealed record PoolDefinition(DispatchPolicy Policy, IReadOnlyList<PoolTarget> Targets, string? ProbePath, bool PassSetCookie = false, Hashing.PoolHashing? Hashing = null);

/// <summary>One target: an HTTP base URL or a Storage queue name, with a weight.</summary>
/// <param name="Id">Name unique in the pool, shown in <c>X-Dispatch-Target</c>.</param>
/// <param name="Kind">HTTP endpoint or queue.</param>
/// <param name="Address">Absolute base URL, or queue name.</param>
/// <param name="Weight">Relative share; 0 drains the target.</param>
public sealed record PoolTarget(string Id, TargetKind Kind, string Address, int Weight);

/// <summary>What a target is.</summary>
public enum TargetKind
{
    /// <summary>An HTTP(S) endpoint; requests are forwarded to its base URL plus the path.</summary>
    Http,

    /// <summary>A Storage queue; requests are enqueued as a JSON envelope.</summary>
    Queue,
}
