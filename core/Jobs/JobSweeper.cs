using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Serverless.Core.Jobs;

/// <summary>
/// Closes the crash windows no message covers, on a timer: a job accepted but never enqueued (the submission or a
/// replay died between its writes), a job whose next-attempt message was never sent, a running job whose runner
/// died and whose message was lost, and a lane whose Turn was not moved on or whose successor was not enqueued
/// (<see cref="JobLanes.RepairAsync"/>). Whatever it enqueues twice, the runner's lease and state checks absorb. Once
/// an hour it also deletes what <see cref="JobOptions.Retention"/> no longer keeps (<see cref="JobRetention"/>).
/// </summary>
public sealed partial class JobSweeper(
    JobStore store, JobLanes lanes, JobSubmitter submitter, JobRetention retention, IOptions<JobOptions> options, TimeProvider time, ILogger<JobSweeper> logger)
{
    /// <summary>Re-enqueues every job that should have moved by now; returns how many it touched.</summary>
    public async Task<int> SweepAsync(CancellationToken ct = default)
    {
        var cutoff = (time.GetUtcNow() - options.Value.StuckAfter).UtcDateTime.ToString("o", CultureInfo.InvariantCulture);
        var filter = $"(State eq 'Queued' and NotBefore lt datetime'{cutoff}') or (State eq 'Running' and LeaseUntil lt datetime'{cutoff}')";
        var touched = 0;
        var lanesSeen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var job in store.QueryAsync(filter, ct))
        {
            if (job.State == JobState.Queued && !job.Enqueued)
            {
                await submitter.EnqueueNewAsync(job, ct);
            }
            else if (job.Request.OrderingKey is { } key)
            {
                if (lanesSeen.Add(key) && await lanes.RepairAsync(key, ct) is { } holder)
                {
                    await store.EnqueueAsync(holder, TimeSpan.Zero, ct);
                }
            }
            else
            {
                await store.EnqueueAsync(job.Id, TimeSpan.Zero, ct);
            }

            touched++;
        }

        if (touched > 0)
        {
            LogSwept(logger, touched);
        }

        await retention.DeleteExpiredIfDueAsync(ct);

        return touched;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job sweep: {Count} stuck jobs enqueued again")]
    private static partial void LogSwept(ILogger logger, int count);
}
