using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Core.Dispatch;
using Serverless.Core.Redis;
using Serverless.Core.Telemetry;

namespace Serverless.Core.Jobs;

/// <summary>What one look at a job did.</summary>
public enum JobRun
{
    /// <summary>Forwarded; a target answered below 400.</summary>
    Succeeded,

    /// <summary>Forwarded and failed; the next attempt is enqueued after a backoff.</summary>
    Retrying,

    /// <summary>Failed permanently or out of attempts.</summary>
    Dead,

    /// <summary>Already finished: a duplicated or stale message.</summary>
    AlreadyFinished,

    /// <summary>Not due yet; enqueued again for its start time.</summary>
    NotDue,

    /// <summary>Another runner holds it; a check is enqueued for when that lease would run out.</summary>
    Busy,

    /// <summary>An earlier job of its lane has not ended; that job's end enqueues this one.</summary>
    NotItsTurn,

    /// <summary>The lease was lost during the run (another runner took over); nothing recorded.</summary>
    LeaseLost,

    /// <summary>No such job (purged).</summary>
    Gone,
}

/// <summary>
/// Runs a job from its queue message: claim it with a lease (so a duplicated or redelivered message cannot start a
/// second run while it runs), forward it through its pool's dispatch policy with the job id as the target's
/// <c>Idempotency-Key</c>, record the attempt, and end it <c>succeeded</c> or <c>dead</c> or enqueue the next attempt
/// after a backoff. Re-enqueueing is done here rather than by the consumer pipeline's retry because a job's attempt
/// limit and its timings are per job and live in the job row, not in the message.
/// </summary>
public sealed partial class JobRunner(
    JobStore store, JobLanes lanes, DispatchForwarder forwarder, JobEvents events, JobFaults faults, IOptions<JobOptions> options, TimeProvider time, ILogger<JobRunner> logger)
{
    // A message may become visible a little before the time we computed (clock skew between us and the queue).
    private static readonly TimeSpan DueTolerance = TimeSpan.FromMilliseconds(250);

    /// <summary>Looks at the job of one message.</summary>
    public async Task<JobRun> RunAsync(JobMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var job = await store.GetAsync(message.JobId, ct);
        if (job is null)
        {
            return JobRun.Gone;
        }

        if (job.IsFinished)
        {
            return JobRun.AlreadyFinished;
        }

        var now = time.GetUtcNow();
        if (job.State == JobState.Queued && job.NotBefore > now + DueTolerance)
        {
            await store.EnqueueAsync(job.Id, job.NotBefore - now, ct);
            return JobRun.NotDue;
        }

        long? seq = null;
        if (job.Request.OrderingKey is { } key)
        {
            seq = job.Seq ?? await lanes.JoinAsync(key, job.Id, job.ReplayCount, ct);
            if (!await IsItsTurnAsync(job, key, seq.Value, ct))
            {
                return JobRun.NotItsTurn;
            }
        }

        if (job.State == JobState.Running && job.LeaseUntil > now)
        {
            await store.EnqueueAsync(job.Id, job.LeaseUntil.Value - now + DueTolerance, ct);
            return JobRun.Busy;
        }

        var lease = options.Value.LeaseDuration;
        var claimed = await store.TryReplaceAsync(job with
        {
            State = JobState.Running,
            // A lane's nudge can reach a job before its submission recorded its place: record it here, or the
            // job's end could not move its lane on.
            Seq = seq ?? job.Seq,
            Enqueued = true,
            Attempts = job.Attempts + 1,
            LeaseOwner = Guid.NewGuid().ToString("N"),
            LeaseUntil = now + lease,
            StartedAt = job.StartedAt ?? now,
            LastAttemptAt = now,
            UpdatedAt = now,
        }, ct);
        if (claimed is null)
        {
            // Another runner claimed it between our read and write: check again when its lease would run out.
            await store.EnqueueAsync(job.Id, lease + DueTolerance, ct);
            return JobRun.Busy;
        }

        if (job.State == JobState.Running)
        {
            LogTakenOver(logger, job.Id, job.Attempts);
        }

        return await RunClaimedAsync(claimed, ct);
    }

    private async Task<JobRun> RunClaimedAsync(JobRecord claimed, CancellationToken ct)
    {
        await using var lease = new JobLease(claimed, store, time, options.Value.LeaseDuration, logger);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct, lease.Lost);
        Attempt attempt;
        try
        {
            attempt = await ForwardAsync(claimed, run.Token);
        }
        catch (OperationCanceledException) when (lease.Lost.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return JobRun.LeaseLost;
        }

        await faults.AfterForwardAsync(claimed, ct);
        var now = time.GetUtcNow();
        var outOfAttempts = claimed.Attempts >= claimed.Request.MaxAttempts;
        var end = attempt.Outcome == AttemptOutcome.Succeeded ? JobState.Succeeded
            : attempt.Outcome == AttemptOutcome.Permanent || outOfAttempts ? JobState.Dead
            : JobState.Queued;
        var backoff = JobBackoff.After(claimed.Attempts, options.Value.BackoffBase, options.Value.BackoffCap, Random.Shared.NextDouble());
        var recorded = await lease.CompleteAsync(j => j with
        {
            State = end,
            LastStatusCode = attempt.StatusCode,
            LastError = attempt.Error,
            LastTarget = attempt.Target,
            NotBefore = end == JobState.Queued ? now + backoff : j.NotBefore,
            FinishedAt = end == JobState.Queued ? null : now,
        });
        if (recorded is null)
        {
            return JobRun.LeaseLost;
        }

        if (end == JobState.Queued)
        {
            await store.EnqueueAsync(recorded.Id, backoff, ct);
            return JobRun.Retrying;
        }

        await EndTurnAsync(recorded, ct);
        await events.PublishAsync(recorded, ct);
        MessagingMetrics.JobEnded(recorded.Request.Pool, end == JobState.Succeeded, now - recorded.SubmittedAt);
        if (end == JobState.Dead)
        {
            LogDead(logger, recorded.Id, recorded.Attempts, recorded.LastError);
        }

        return end == JobState.Succeeded ? JobRun.Succeeded : JobRun.Dead;
    }

    /// <summary>Moves the job's lane on and enqueues the next job of it (no-op for a job without ordering key).</summary>
    internal async Task EndTurnAsync(JobRecord finished, CancellationToken ct)
    {
        if (finished.Request.OrderingKey is not { } key || finished.Seq is not { } seq)
        {
            return;
        }

        if (await lanes.EndTurnAsync(key, seq, ct) is { } next)
        {
            await store.EnqueueAsync(next, TimeSpan.Zero, ct);
        }
    }

    private async Task<bool> IsItsTurnAsync(JobRecord job, string key, long seq, CancellationToken ct)
    {
        if (await lanes.TurnAsync(key, ct) == seq)
        {
            return true;
        }

        // Not its turn by the head row; the job holding the turn may have ended without moving it (a crash).
        var holder = await lanes.RepairAsync(key, ct);
        if (holder == job.Id)
        {
            return true;
        }

        if (holder is not null)
        {
            await store.EnqueueAsync(holder, TimeSpan.Zero, ct);
        }

        return false;
    }

    private async Task<Attempt> ForwardAsync(JobRecord job, CancellationToken ct)
    {
        var headers = new List<KeyValuePair<string, string>> { new(ForwardRequest.IdempotencyKeyHeader, job.Id) };
        var body = job.Request.Payload is { } payload ? Encoding.UTF8.GetBytes(payload) : [];
        if (body.Length > 0)
        {
            headers.Add(new("Content-Type", "application/json"));
        }

        ForwardResult result;
        try
        {
            result = await forwarder.ForwardAsync(new ForwardRequest(job.Request.Pool, job.Request.Method, job.Request.Path, headers, body), ct);
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            // Nothing was sent (the pick needs Redis): a transient failure like an unavailable pool.
            return new Attempt(AttemptOutcome.Transient, 0, "Dispatch is unavailable (Redis).", null);
        }

        return result.Status switch
        {
            ForwardStatus.Relayed when result.StatusCode < 400 => new Attempt(AttemptOutcome.Succeeded, result.StatusCode, null, result.TargetId),
            ForwardStatus.Relayed when result.StatusCode is 408 or 429 or >= 500 =>
                new Attempt(AttemptOutcome.Transient, result.StatusCode, $"Target {result.TargetId} answered {result.StatusCode}.", result.TargetId),
            ForwardStatus.Relayed => new Attempt(AttemptOutcome.Permanent, result.StatusCode, $"Target {result.TargetId} answered {result.StatusCode}; retrying would not change it.", result.TargetId),
            ForwardStatus.PoolNotFound => new Attempt(AttemptOutcome.Permanent, 0, $"No dispatch pool named '{job.Request.Pool}'.", null),
            _ => new Attempt(AttemptOutcome.Transient, 0, result.Detail ?? result.Status.ToString(), result.TargetId),
        };
    }

    private enum AttemptOutcome
    {
        Succeeded,
        Transient,
        Permanent,
    }

    private sealed record Attempt(AttemptOutcome Outcome, int StatusCode, string? Error, string? Target);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: lease of attempt {Attempt} ran out; taken over")]
    private static partial void LogTakenOver(ILogger logger, string jobId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} is dead after {Attempts} attempts: {Error}")]
    private static partial void LogDead(ILogger logger, string jobId, int attempts, string? error);
}
