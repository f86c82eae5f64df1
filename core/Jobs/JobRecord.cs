using Azure;
using Azure.Data.Tables;

namespace Serverless.Core.Jobs;

/// <summary>Where a job is in its life.</summary>
public enum JobState
{
    /// <summary>Waiting for its start time, its turn in its lane, a runner, or its next attempt.</summary>
    Queued,

    /// <summary>A runner holds its lease and is forwarding it.</summary>
    Running,

    /// <summary>A target answered below 400. Final.</summary>
    Succeeded,

    /// <summary>Failed permanently or ran out of attempts; can be replayed.</summary>
    Dead,
}

/// <summary>One job's row in the jobs table: what to send, and everything that happened to it.</summary>
/// <param name="Id">Job id, derived from the Idempotency-Key.</param>
/// <param name="Request">What was submitted.</param>
/// <param name="Fingerprint">Of <paramref name="Request"/>, to refuse the same key with another body.</param>
/// <param name="State">Current state.</param>
/// <param name="Attempts">Attempts started (a crashed attempt counts).</param>
/// <param name="SubmittedAt">When it was accepted.</param>
/// <param name="NotBefore">Earliest start of the next attempt (submission plus delay, or the retry time).</param>
public sealed record JobRecord(string Id, JobRequest Request, string Fingerprint, JobState State, int Attempts, DateTimeOffset SubmittedAt, DateTimeOffset NotBefore)
{
    /// <summary>Row key of a job row (the partition key is the job id).</summary>
    public const string RowKey = "job";

    /// <summary>Its place in its lane (1, 2, ...), once it has joined one.</summary>
    public long? Seq { get; init; }

    /// <summary>Times it was replayed from dead; each replay joins its lane again with a new place.</summary>
    public int ReplayCount { get; init; }

    /// <summary>True once its first queue message was sent (false after a submission that crashed before it).</summary>
    public bool Enqueued { get; init; }

    /// <summary>The runner holding it, while running.</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>Until when that runner's claim holds without a heartbeat.</summary>
    public DateTimeOffset? LeaseUntil { get; init; }

    /// <summary>When the first attempt started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the latest attempt started.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>When it ended (succeeded or dead).</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Status code of the latest answer (0 when no target answered).</summary>
    public int? LastStatusCode { get; init; }

    /// <summary>Why the latest attempt failed.</summary>
    public string? LastError { get; init; }

    /// <summary>The target of the latest attempt.</summary>
    public string? LastTarget { get; init; }

    /// <summary>Last write.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>For conditional updates.</summary>
    public ETag ETag { get; init; }

    /// <summary>True for succeeded and dead.</summary>
    public bool IsFinished => State is JobState.Succeeded or JobState.Dead;

    internal TableEntity ToEntity()
    {
        var entity = new TableEntity(Id, RowKey)
        {
            ["State"] = State.ToString(),
            ["Fingerprint"] = Fingerprint,
            ["Pool"] = Request.Pool,
            ["Method"] = Request.Method,
            ["Path"] = Request.Path,
            ["Payload"] = Request.Payload,
            ["OrderingKey"] = Request.OrderingKey,
            ["DelayTicks"] = Request.Delay.Ticks,
            ["MaxAttempts"] = Request.MaxAttempts,
            ["Attempts"] = Attempts,
            ["SubmittedAt"] = SubmittedAt,
            ["NotBefore"] = NotBefore,
            ["Seq"] = Seq,
            ["ReplayCount"] = ReplayCount,
            ["Enqueued"] = Enqueued,
            ["LeaseOwner"] = LeaseOwner,
            ["LeaseUntil"] = LeaseUntil,
            ["StartedAt"] = StartedAt,
            ["LastAttemptAt"] = LastAttemptAt,
            ["FinishedAt"] = FinishedAt,
            ["LastStatusCode"] = LastStatusCode,
            ["LastError"] = LastError,
            ["LastTarget"] = LastTarget,
            ["UpdatedAt"] = UpdatedAt,
        };
        entity.ETag = ETag;
        return entity;
    }

    internal static JobRecord FromEntity(TableEntity e)
    {
        var request = new JobRequest(
            e.GetString("Pool"), e.GetString("Method"), e.GetString("Path"), e.GetString("Payload"), e.GetString("OrderingKey"),
            TimeSpan.FromTicks(e.GetInt64("DelayTicks") ?? 0), e.GetInt32("MaxAttempts") ?? 1);
        return new JobRecord(
            e.PartitionKey, request, e.GetString("Fingerprint"), Enum.Parse<JobState>(e.GetString("State")), e.GetInt32("Attempts") ?? 0,
            e.GetDateTimeOffset("SubmittedAt") ?? default, e.GetDateTimeOffset("NotBefore") ?? default)
        {
            Seq = e.GetInt64("Seq"),
            ReplayCount = e.GetInt32("ReplayCount") ?? 0,
            Enqueued = e.GetBoolean("Enqueued") ?? false,
            LeaseOwner = e.GetString("LeaseOwner"),
            LeaseUntil = e.GetDateTimeOffset("LeaseUntil"),
            StartedAt = e.GetDateTimeOffset("StartedAt"),
            LastAttemptAt = e.GetDateTimeOffset("LastAttemptAt"),
            FinishedAt = e.GetDateTimeOffset("FinishedAt"),
            LastStatusCode = e.GetInt32("LastStatusCode"),
            LastError = e.GetString("LastError"),
            LastTarget = e.GetString("LastTarget"),
            UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? default,
            ETag = e.ETag,
        };
    }
}
