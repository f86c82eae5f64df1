namespace Serverless.Core.Jobs;

/// <summary>What <c>GET /api/jobs/{id}</c> shows of a job.</summary>
public static class JobView
{
    /// <summary>The state as the API spells it.</summary>
    public static string StateName(JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Succeeded => "succeeded",
        _ => "dead",
    };

    /// <summary>The job as a JSON-ready object.</summary>
    public static object Of(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new
        {
            id = job.Id,
            state = StateName(job.State),
            pool = job.Request.Pool,
            method = job.Request.Method,
            path = job.Request.Path,
            orderingKey = job.Request.OrderingKey,
            attempts = job.Attempts,
            maxAttempts = job.Request.MaxAttempts,
            lastStatusCode = job.LastStatusCode,
            lastError = job.LastError,
            lastTarget = job.LastTarget,
            replayCount = job.ReplayCount,
            submittedAt = job.SubmittedAt,
            notBefore = job.NotBefore,
            startedAt = job.StartedAt,
            lastAttemptAt = job.LastAttemptAt,
            finishedAt = job.FinishedAt,
            durationMs = job.FinishedAt is { } end ? (end - job.SubmittedAt).TotalMilliseconds : (double?)null,
        };
    }
}
