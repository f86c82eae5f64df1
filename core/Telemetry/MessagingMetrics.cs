using System.Diagnostics.Metrics;

namespace Serverless.Core.Telemetry;

/// <summary>
/// Meter <c>Serverless.Messaging</c>: the queue pipeline's messages (handled, retried, poisoned, replayed) per consumer,
/// and jobs (submitted, succeeded, dead, duration) per job type. The instruments are defined here for the shared
/// pipeline in <c>core/Messaging</c> to call; a consumer or job type is a name from code or configuration, never a
/// message id or payload value.
/// </summary>
public static class MessagingMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Serverless.Messaging";

    /// <summary>Tag: the consumer (the queue handler's name, e.g. <c>catalog-indexer</c>).</summary>
    public const string ConsumerTag = "messaging.consumer.name";

    /// <summary>Tag: the job type.</summary>
    public const string JobTypeTag = "job.type";

    private static readonly Meter Meter = new(MeterName, ServerlessTelemetry.Version);

    /// <summary><c>serverless.messaging.messages.handled</c> ({message}): messages a consumer finished with (deleted from its queue).</summary>
    public static readonly Counter<long> Handled = Meter.CreateCounter<long>(
        "serverless.messaging.messages.handled", "{message}", "Messages a consumer handled and deleted.");

    /// <summary><c>serverless.messaging.messages.retried</c> ({message}): deliveries that failed and were left for another try.</summary>
    public static readonly Counter<long> Retried = Meter.CreateCounter<long>(
        "serverless.messaging.messages.retried", "{message}", "Deliveries that failed and were left on the queue for another try.");

    /// <summary><c>serverless.messaging.messages.poisoned</c> ({message}): messages moved to the poison queue.</summary>
    public static readonly Counter<long> Poisoned = Meter.CreateCounter<long>(
        "serverless.messaging.messages.poisoned", "{message}", "Messages moved to the poison queue after their last allowed try.");

    /// <summary><c>serverless.messaging.messages.replayed</c> ({message}): poison messages sent back to their queue.</summary>
    public static readonly Counter<long> Replayed = Meter.CreateCounter<long>(
        "serverless.messaging.messages.replayed", "{message}", "Poison messages sent back to their queue for another run.");

    /// <summary><c>serverless.jobs.submitted</c> ({job}): jobs accepted.</summary>
    public static readonly Counter<long> JobsSubmitted = Meter.CreateCounter<long>(
        "serverless.jobs.submitted", "{job}", "Jobs accepted for running.");

    /// <summary><c>serverless.jobs.succeeded</c> ({job}): jobs that finished well.</summary>
    public static readonly Counter<long> JobsSucceeded = Meter.CreateCounter<long>(
        "serverless.jobs.succeeded", "{job}", "Jobs that finished successfully.");

    /// <summary><c>serverless.jobs.dead</c> ({job}): jobs given up on after their last allowed try.</summary>
    public static readonly Counter<long> JobsDead = Meter.CreateCounter<long>(
        "serverless.jobs.dead", "{job}", "Jobs given up on after their last allowed try.");

    /// <summary><c>serverless.jobs.duration</c> (s): submission to the job's end (succeeded or dead).</summary>
    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram(
        "serverless.jobs.duration", "s", "Time from a job's submission to its end, succeeded or dead.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets.LongSeconds });

    /// <summary>Counts a handled message.</summary>
    public static void MessageHandled(string consumer) => Handled.Add(1, new KeyValuePair<string, object?>(ConsumerTag, consumer));

    /// <summary>Counts a failed delivery left for another try.</summary>
    public static void MessageRetried(string consumer) => Retried.Add(1, new KeyValuePair<string, object?>(ConsumerTag, consumer));

    /// <summary>Counts a message moved to the poison queue.</summary>
    public static void MessagePoisoned(string consumer) => Poisoned.Add(1, new KeyValuePair<string, object?>(ConsumerTag, consumer));

    /// <summary>Counts a poison message replayed.</summary>
    public static void MessageReplayed(string consumer) => Replayed.Add(1, new KeyValuePair<string, object?>(ConsumerTag, consumer));

    /// <summary>Counts a submitted job.</summary>
    public static void JobSubmitted(string jobType) => JobsSubmitted.Add(1, new KeyValuePair<string, object?>(JobTypeTag, jobType));

    /// <summary>Counts a job that ended, with its duration.</summary>
    public static void JobEnded(string jobType, bool succeeded, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>(JobTypeTag, jobType);
        (succeeded ? JobsSucceeded : JobsDead).Add(1, tag);
        JobDuration.Record(duration.TotalSeconds, tag, new("job.outcome", succeeded ? "succeeded" : "dead"));
    }
}
