namespace Serverless.Core.Telemetry;

/// <summary>Histogram bucket boundaries shared by the Serverless meters.</summary>
internal static class Buckets
{
    /// <summary>
    /// For durations in seconds: OpenTelemetry's HTTP duration boundaries (5 ms to 10 s). The SDK's default boundaries
    /// are meant for milliseconds and would put every sample of a seconds histogram into its first bucket.
    /// </summary>
    public static readonly IReadOnlyList<double> Seconds = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    /// <summary>For transactions and jobs, which run from tens of milliseconds to minutes.</summary>
    public static readonly IReadOnlyList<double> LongSeconds = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
}
