namespace Serverless.Core.Jobs;

/// <summary>What a replay or purge did to one job.</summary>
/// <param name="Id">The job.</param>
/// <param name="Outcome"><c>replayed</c>, <c>purged</c>, <c>already-succeeded</c> (a no-op), <c>not-dead</c> or <c>not-found</c>.</param>
/// <param name="ReplayCount">Times the job has been replayed, after this call.</param>
public sealed record DeadJobAction(string Id, string Outcome, int ReplayCount);

/// <summary>
/// Dead jobs, for operators: list them, replay them (back to queued with fresh attempts, a replay count, and a new
/// place at the tail of their lane), or purge them. Replaying a job that already succeeded does nothing. Listing
/// scans the table for dead rows, which suits an admin page, not a hot path.
/// </summary>
public sealed class DeadJobs(JobStore store, JobLanes lanes, JobSubmitter submitter, TimeProvider time)
{
    /// <summary>Most jobs one call lists or acts on.</summary>
    public const int MaxBatch = 1000;

    /// <summary>Up to <paramref name="limit"/> dead jobs.</summary>
    public async Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken ct = default)
    {
        var dead = new List<JobRecord>();
        await foreach (var job in store.QueryAsync($"State eq '{JobState.Dead}'", ct))
        {
            dead.Add(job);
            if (dead.Count >= limit)
            {
                break;
            }
        }

        return dead;
    }

    /// <summary>Replays one job.</summary>
    public async Task<DeadJobAction> ReplayAsync(string id, CancellationToken ct = default)
    {
        while (true)
        {
            var job = await store.GetAsync(id, ct);
            switch (job?.State)
            {
                case null:
                    return new DeadJobAction(id, "not-found", 0);
                case JobState.Succeeded:
                    return new DeadJobAction(id, "already-succeeded", job.ReplayCount);
                case not JobState.Dead:
                    return new DeadJobAction(id, "not-dead", job.ReplayCount);
            }

            var now = time.GetUtcNow();
            var revived = await store.TryReplaceAsync(job with
            {
                State = JobState.Queued,
                Attempts = 0,
                ReplayCount = job.ReplayCount + 1,
                NotBefore = now,
                FinishedAt = null,
                Seq = null,
                Enqueued = false,
                UpdatedAt = now,
            }, ct);
            if (revived is not null)
            {
                // A crash here leaves it queued and not enqueued: the sweep finishes it.
                await submitter.EnqueueNewAsync(revived, ct);
                return new DeadJobAction(id, "replayed", revived.ReplayCount);
            }
        }
    }

    /// <summary>Replays every dead job (up to <see cref="MaxBatch"/>).</summary>
    public async Task<IReadOnlyList<DeadJobAction>> ReplayAllAsync(CancellationToken ct = default)
    {
        var actions = new List<DeadJobAction>();
        foreach (var job in await ListAsync(MaxBatch, ct))
        {
            actions.Add(await ReplayAsync(job.Id, ct));
        }

        return actions;
    }

    /// <summary>Deletes one dead job.</summary>
    public async Task<DeadJobAction> PurgeAsync(string id, CancellationToken ct = default)
    {
        var job = await store.GetAsync(id, ct);
        if (job is null)
        {
            return new DeadJobAction(id, "not-found", 0);
        }

        if (job.State != JobState.Dead)
        {
            return new DeadJobAction(id, "not-dead", job.ReplayCount);
        }

        return await TryPurgeAsync(job, ct) ? new DeadJobAction(id, "purged", job.ReplayCount) : new DeadJobAction(id, "not-dead", job.ReplayCount);
    }

    /// <summary>Deletes every dead job (up to <see cref="MaxBatch"/>).</summary>
    public async Task<IReadOnlyList<DeadJobAction>> PurgeAllAsync(CancellationToken ct = default)
    {
        var actions = new List<DeadJobAction>();
        foreach (var job in await ListAsync(MaxBatch, ct))
        {
            actions.Add(await TryPurgeAsync(job, ct) ? new DeadJobAction(job.Id, "purged", job.ReplayCount) : new DeadJobAction(job.Id, "not-dead", job.ReplayCount));
        }

        return actions;
    }

    // Its lane places go first: a job submitted later with the same key (so the same id) must join afresh, not find
    // an ended place and wait for a turn that never comes back.
    private async Task<bool> TryPurgeAsync(JobRecord job, CancellationToken ct)
    {
        if (job.Request.OrderingKey is { } key)
        {
            await lanes.LeaveAsync(key, job.Id, job.ReplayCount, ct);
        }

        return await store.TryDeleteAsync(job, ct);
    }
}
