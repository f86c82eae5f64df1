using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Serverless.Core.Telemetry;

/// <summary>
/// Meter <c>Serverless.Transactions</c>: how each two-phase commit and saga ended, and how long it took. Recorded by the
/// orchestrator when it returns, outside replay, from the orchestration's own clock (so a replay neither counts twice
/// nor measures the replay).
/// </summary>
public static class TransactionMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Serverless.Transactions";

    /// <summary>Tag: <c>2pc</c> or <c>saga</c>.</summary>
    public const string ProtocolTag = "transaction.protocol";

    /// <summary>Tag: <c>applied</c>, <c>rolled-back</c> or <c>needs-attention</c>.</summary>
    public const string OutcomeTag = "transaction.outcome";

    /// <summary>Two-phase commit.</summary>
    public const string TwoPhaseCommit = "2pc";

    /// <summary>Saga with compensations.</summary>
    public const string Saga = "saga";

    private static readonly Meter Meter = new(MeterName, ServerlessTelemetry.Version);

    /// <summary><c>serverless.transaction.outcomes</c> ({transaction}): finished transactions by protocol and outcome.</summary>
    public static readonly Counter<long> Outcomes = Meter.CreateCounter<long>(
        "serverless.transaction.outcomes", "{transaction}", "Finished transactions by protocol and outcome.");

    /// <summary><c>serverless.transaction.duration</c> (s): start to finish of one transaction.</summary>
    public static readonly Histogram<double> Duration = Meter.CreateHistogram(
        "serverless.transaction.duration", "s", "Time from a transaction's start to its outcome, on the orchestration's clock.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets.LongSeconds });

    /// <summary>Records one finished transaction.</summary>
    /// <param name="protocol"><see cref="TwoPhaseCommit"/> or <see cref="Saga"/>.</param>
    /// <param name="outcome">The outcome's wire name.</param>
    /// <param name="duration">Start to finish.</param>
    public static void Finished(string protocol, string outcome, TimeSpan duration)
    {
        var tags = new TagList { { ProtocolTag, protocol }, { OutcomeTag, outcome } };
        Outcomes.Add(1, tags);
        Duration.Record(duration.TotalSeconds, tags);
    }
}
