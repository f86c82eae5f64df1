using System.Diagnostics.Metrics;
using Serverless.Core.Sessions;

namespace Serverless.Core.Telemetry;

/// <summary>
/// Meter <c>Serverless.Sessions</c>: session operations that reached Redis, by kind and outcome, and compare-and-set
/// conflicts. Session ids and principals are never tags: an id is a bearer credential.
/// </summary>
public static class SessionMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Serverless.Sessions";

    /// <summary>Tag: <c>create</c>, <c>get</c>, <c>get-attribute</c>, <c>update</c>, <c>touch</c>, <c>rotate</c>, <c>delete</c>.</summary>
    public const string OperationTag = "session.operation";

    /// <summary>Tag: <c>ok</c>, <c>not-found</c>, <c>version-mismatch</c>, <c>too-many-attributes</c>, <c>principal-limit</c>.</summary>
    public const string OutcomeTag = "session.outcome";

    private static readonly Meter Meter = new(MeterName, ServerlessTelemetry.Version);

    /// <summary><c>serverless.session.operations</c> ({operation}): operations by kind and outcome.</summary>
    public static readonly Counter<long> Operations = Meter.CreateCounter<long>(
        "serverless.session.operations", "{operation}", "Session operations that reached Redis, by kind and outcome.");

    /// <summary><c>serverless.session.cas_conflicts</c> ({conflict}): updates refused because the session moved past the expected version.</summary>
    public static readonly Counter<long> CasConflicts = Meter.CreateCounter<long>(
        "serverless.session.cas_conflicts", "{conflict}", "Compare-and-set updates refused because the session was no longer at the expected version.");

    private static readonly KeyValuePair<string, object?>[] Outcomes =
    [
        new(OutcomeTag, "ok"), new(OutcomeTag, "not-found"), new(OutcomeTag, "version-mismatch"), new(OutcomeTag, "too-many-attributes"), new(OutcomeTag, "principal-limit"),
    ];

    /// <summary>Counts one operation and passes its result through.</summary>
    public static SessionResult Counted(string operation, SessionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Count(operation, result.Status);
        return result;
    }

    /// <summary>Counts one operation.</summary>
    public static void Count(string operation, SessionStatus status)
    {
        if (Operations.Enabled)
        {
            Operations.Add(1, new KeyValuePair<string, object?>(OperationTag, operation), Outcomes[(int)status]);
        }

        if (status == SessionStatus.VersionMismatch)
        {
            CasConflicts.Add(1);
        }
    }
}
