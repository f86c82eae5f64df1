namespace Serverless.Core.Telemetry;

/// <summary>
/// The names every Serverless meter and activity source share. A listener (the worker's OpenTelemetry set-up, the
/// status page, a test) subscribes to <see cref="MeterWildcard"/> and <see cref="ActivitySourceWildcard"/> and so picks
/// up a feature added later without a change. Instruments are documented in <c>docs/telemetry.md</c>.
/// </summary>
/// <remarks>
/// Meters are static (one per feature, like StackExchange.Redis and FusionCache do) rather than made by an
/// <c>IMeterFactory</c>: the instruments are called from entities and orchestrators that the durable runtime creates,
/// and from types built by hand, so there is no container to take a factory from at every call site. With no listener an
/// instrument call costs a field read and a branch.
/// </remarks>
public static class ServerlessTelemetry
{
    /// <summary>What every Serverless meter and activity source name starts with.</summary>
    public const string Prefix = "Serverless.";

    /// <summary>Subscribes an OpenTelemetry <c>MeterProvider</c> to every Serverless meter.</summary>
    public const string MeterWildcard = Prefix + "*";

    /// <summary>Subscribes an OpenTelemetry <c>TracerProvider</c> to every Serverless activity source.</summary>
    public const string ActivitySourceWildcard = Prefix + "*";

    /// <summary>Every Serverless meter, one per feature.</summary>
    public static IReadOnlyList<string> MeterNames { get; } =
        [CacheMetrics.MeterName, DispatchMetrics.MeterName, LockMetrics.MeterName, SearchMetrics.MeterName, SessionMetrics.MeterName, TransactionMetrics.MeterName, MessagingMetrics.MeterName];

    /// <summary>
    /// The Azure SDK's switch for its ActivitySources ("Azure.*": Storage blobs, queues, tables). Without it the SDK
    /// reports through DiagnosticSource only, which OpenTelemetry does not read.
    /// </summary>
    public const string AzureActivitySourceSwitch = "Azure.Experimental.EnableActivitySource";

    /// <summary>The Azure SDK's ActivitySources, for <c>AddSource</c>.</summary>
    public const string AzureActivitySources = "Azure.*";

    /// <summary>The version stamped on every meter and activity source.</summary>
    internal static string Version { get; } = typeof(ServerlessTelemetry).Assembly.GetName().Version?.ToString() ?? "0.0.0";
}
