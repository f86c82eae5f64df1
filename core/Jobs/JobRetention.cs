using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Serverless.Core.Jobs;

/// <summary>
/// Deletes what <see cref="JobOptions.Retention"/> no longer keeps: succeeded jobs finished before it (their lane
/// places first, so a later job with the same id joins its lane afresh instead of finding an ended place) and lanes
/// that are empty and idle (<see cref="JobLanes.TryDeleteAsync"/>). Run by the sweep at most once per
/// <see cref="PassInterval"/>, since each pass scans the table.
/// </summary>
public sealed partial class JobRetention(JobStore store, JobLanes lanes, IOptions<JobOptions> options, TimeProvider time, ILogger<JobRetention> logger)
{
    /// <summary>Retention is days; an hourly pass keeps the table within an hour of it at a scan an hour.</summary>
    public static readonly TimeSpan PassInterval = TimeSpan.FromHours(1);

    private readonly Operability.PassGate _gate = new(PassInterval, time);

    /// <summary>Runs <see cref="DeleteExpiredAsync"/> if no pass ran in this process within <see cref="PassInterval"/>.</summary>
    public async Task<(int Jobs, int Lanes)> DeleteExpiredIfDueAsync(CancellationToken ct = default)
    {
        if (!_gate.TryEnter())
        {
            return (0, 0);
        }

        return await DeleteExpiredAsync(ct);
    }

    /// <summary>Deletes expired succeeded jobs and idle empty lanes; returns how many of each.</summary>
    public async Task<(int Jobs, int Lanes)> DeleteExpiredAsync(CancellationToken ct = default)
    {
        var cutoff = time.GetUtcNow() - options.Value.Retention;
        var jobs = 0;
        var at = cutoff.UtcDateTime.ToString("o", CultureInfo.InvariantCulture);
        await foreach (var job in store.QueryAsync($"State eq '{JobState.Succeeded}' and FinishedAt lt datetime'{at}'", ct))
        {
            if (job.Request.OrderingKey is { } key)
            {
                await lanes.LeaveAsync(key, job.Id, job.ReplayCount, ct);
            }

            jobs += await store.TryDeleteAsync(job, ct) ? 1 : 0;
        }

        var deletedLanes = 0;
        await foreach (var head in lanes.IdleHeadsAsync(cutoff, ct))
        {
            if (JobLanes.IsEmpty(head))
            {
                deletedLanes += await lanes.TryDeleteAsync(head, ct) ? 1 : 0;
            }
            else if (head.GetString("OrderingKey") is { } key && await lanes.RepairAsync(key, ct) is { } holder)
            {
                // Idle for a whole retention with a job waiting: its nudge was lost. The next pass judges the lane again.
                await store.EnqueueAsync(holder, TimeSpan.Zero, ct);
            }
        }

        if (jobs + deletedLanes > 0)
        {
            LogDeleted(logger, jobs, deletedLanes, options.Value.Retention);
        }

        return (jobs, deletedLanes);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job retention: {Jobs} succeeded jobs and {Lanes} idle lanes older than {Retention} deleted")]
    private static partial void LogDeleted(ILogger logger, int jobs, int lanes, TimeSpan retention);
}
