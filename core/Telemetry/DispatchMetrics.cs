using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Serverless.Core.Telemetry;

/// <summary>
/// Meter <c>Serverless.Dispatch</c> and activity source <c>Serverless.Dispatch</c>: picks per pool, policy and target,
/// forward latency, ejections, readmissions and requests in flight; one span per forwarded request, parent of the
/// outgoing HTTP call and of the pick's and outcome's Redis commands. Pool and target names are bounded by the pool
/// definitions; a pool name that does not exist is never a tag (a caller could mint any number of them).
/// </summary>
public static class DispatchMetrics
{
    /// <summary>The meter's and activity source's name.</summary>
    public const string MeterName = "Serverless.Dispatch";

    /// <summary>Tag: the pool.</summary>
    public const string PoolTag = "dispatch.pool";

    /// <summary>Tag: the pool's policy (its wire name, e.g. <c>round-robin</c>).</summary>
    public const string PolicyTag = "dispatch.policy";

    /// <summary>Tag: the target's id in its pool.</summary>
    public const string TargetTag = "dispatch.target";

    /// <summary>Tag: <c>success</c> or <c>failure</c> (connect failure, timeout or 5xx) of one attempt.</summary>
    public const string OutcomeTag = "dispatch.outcome";

    /// <summary>Tag: why no target was picked (<c>all-ejected</c>, <c>no-target</c>).</summary>
    public const string ReasonTag = "dispatch.reason";

    private static readonly Meter Meter = new(MeterName, ServerlessTelemetry.Version);

    /// <summary>Spans of forwarded requests.</summary>
    public static readonly ActivitySource Source = new(MeterName, ServerlessTelemetry.Version);

    /// <summary><c>serverless.dispatch.picks</c> ({pick}): targets chosen, per pool, policy and target.</summary>
    public static readonly Counter<long> Picks = Meter.CreateCounter<long>(
        "serverless.dispatch.picks", "{pick}", "Targets chosen by a pool's policy.");

    /// <summary><c>serverless.dispatch.unavailable</c> ({pick}): picks of an existing pool that found no target.</summary>
    public static readonly Counter<long> Unavailable = Meter.CreateCounter<long>(
        "serverless.dispatch.unavailable", "{pick}", "Picks of an existing pool that found no target (all ejected, or none left).");

    /// <summary><c>serverless.dispatch.forward.duration</c> (s): one attempt against one target, send to body read.</summary>
    public static readonly Histogram<double> ForwardDuration = Meter.CreateHistogram(
        "serverless.dispatch.forward.duration", "s", "Time of one forwarding attempt against one target, from send to the answer's body read.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets.Seconds });

    /// <summary><c>serverless.dispatch.ejections</c> ({ejection}): targets ejected after failing.</summary>
    public static readonly Counter<long> Ejections = Meter.CreateCounter<long>(
        "serverless.dispatch.ejections", "{ejection}", "Targets ejected after too many failures in a row.");

    /// <summary><c>serverless.dispatch.readmissions</c> ({readmission}): ejected targets back in full service.</summary>
    public static readonly Counter<long> Readmissions = Meter.CreateCounter<long>(
        "serverless.dispatch.readmissions", "{readmission}", "Ejected targets that answered well after their ejection and slow start ended.");

    /// <summary><c>serverless.dispatch.in_flight</c> ({request}): attempts sent by this instance and not answered yet.</summary>
    public static readonly UpDownCounter<long> InFlight = Meter.CreateUpDownCounter<long>(
        "serverless.dispatch.in_flight", "{request}", "Forwarding attempts this instance has sent and not yet seen answered.");

    private static readonly KeyValuePair<string, object?> Success = new(OutcomeTag, "success");
    private static readonly KeyValuePair<string, object?> Failure = new(OutcomeTag, "failure");

    /// <summary>Starts the span of one forwarded request (null when nobody listens).</summary>
    public static Activity? StartForward(string pool) =>
        Source.HasListeners() ? Source.StartActivity("dispatch forward", ActivityKind.Internal, default(ActivityContext), [new(PoolTag, pool)]) : null;

    /// <summary>Counts a pick; tags the current forward span with its target and policy.</summary>
    public static void Picked(string pool, string policy, string target)
    {
        Picks.Add(1, new(PoolTag, pool), new(PolicyTag, policy), new(TargetTag, target));
        if (Activity.Current is { Source: var source } span && source == Source)
        {
            span.SetTag(PolicyTag, policy).SetTag(TargetTag, target);
        }
    }

    /// <summary>Counts a pick of an existing pool that found no target.</summary>
    public static void NotPicked(string pool, string reason) => Unavailable.Add(1, new(PoolTag, pool), new(ReasonTag, reason));

    /// <summary>An attempt is about to be sent.</summary>
    public static void Sending(string pool, string target) => InFlight.Add(1, new(PoolTag, pool), new(TargetTag, target));

    /// <summary>An attempt ended (answered, failed or abandoned); <paramref name="latency"/> is null when it threw.</summary>
    public static void Sent(string pool, string target, TimeSpan? latency, bool failed)
    {
        InFlight.Add(-1, new(PoolTag, pool), new(TargetTag, target));
        if (latency is { } l)
        {
            ForwardDuration.Record(l.TotalSeconds, new(PoolTag, pool), new(TargetTag, target), failed ? Failure : Success);
        }
    }

    /// <summary>Counts what recording an outcome did to a target's health.</summary>
    public static void Recorded(string pool, string target, bool ejected, bool readmitted)
    {
        if (ejected)
        {
            Ejections.Add(1, new(PoolTag, pool), new(TargetTag, target));
        }

        if (readmitted)
        {
            Readmissions.Add(1, new(PoolTag, pool), new(TargetTag, target));
        }
    }
}
