using Microsoft.Extensions.Options;
using Serverless.Core.Telemetry;

namespace Serverless.Core.Jobs;

/// <summary>How a submission ended.</summary>
public enum SubmitStatus
{
    /// <summary>A new job was accepted.</summary>
    Created,

    /// <summary>The same Idempotency-Key with the same request: the earlier job.</summary>
    Existing,

    /// <summary>The same Idempotency-Key with a different request: refused.</summary>
    KeyReused,
}

/// <summary>A submission's outcome and the job it is about.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Job">The job (the earlier one for <see cref="SubmitStatus.Existing"/> and <see cref="SubmitStatus.KeyReused"/>).</param>
public sealed record SubmitResult(SubmitStatus Status, JobRecord Job);

/// <summary>
/// Accepts jobs: insert the job row (its id derived from the Idempotency-Key, so only one submission can create it),
/// join its ordering lane and mark it enqueued, then enqueue it. A submission that crashes midway leaves a queued job
/// that the client's retry with the same key finishes (before the mark) or the sweep re-enqueues (after
/// <see cref="JobOptions.StuckAfter"/>); every step is safe to repeat.
/// </summary>
public sealed class JobSubmitter(JobStore store, JobLanes lanes, JobEvents events, IOptions<JobOptions> options, TimeProvider time)
{
    /// <summary>Submits <paramref name="request"/> under <paramref name="idempotencyKey"/>.</summary>
    public async Task<SubmitResult> SubmitAsync(string idempotencyKey, JobRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!JobIds.IsWellFormedKey(idempotencyKey))
        {
            throw new ArgumentException("The Idempotency-Key must be 1-200 visible ASCII characters.", nameof(idempotencyKey));
        }

        var now = time.GetUtcNow();
        var fingerprint = request.Fingerprint();
        // A job without a lane is marked enqueued in its insert, saving a write: a crash before the send is then
        // closed by the sweep alone (after Jobs:StuckAfter), not by the client's retry. A laned job must join first.
        var loose = request.OrderingKey is null;
        var fresh = new JobRecord(JobIds.For(idempotencyKey), request, fingerprint, JobState.Queued, 0, now, now + request.Delay) { UpdatedAt = now, Enqueued = loose };
        if (await store.TryInsertAsync(fresh, ct) is { } created)
        {
            if (loose)
            {
                await store.EnqueueAsync(created.Id, created.NotBefore - time.GetUtcNow(), ct);
            }

            var enqueued = loose ? created : await EnqueueNewAsync(created, ct);
            await events.PublishAsync(enqueued, ct);
            MessagingMetrics.JobSubmitted(enqueued.Request.Pool);
            return new SubmitResult(SubmitStatus.Created, enqueued);
        }

        var existing = await store.GetAsync(fresh.Id, ct)
            ?? throw new InvalidOperationException($"Job {fresh.Id} existed a moment ago and is gone (purged meanwhile); retry the submission.");
        if (existing.Fingerprint != fingerprint)
        {
            return new SubmitResult(SubmitStatus.KeyReused, existing);
        }

        return new SubmitResult(SubmitStatus.Existing, existing.Enqueued ? existing : await EnqueueNewAsync(existing, ct));
    }

    /// <summary>
    /// Joins the lane and enqueues a job not yet marked enqueued (a new one, or one whose submission crashed). The mark
    /// is written first, under the ETag read, so of two submissions racing on one key only one enqueues; a crash
    /// between the mark and the send leaves a queued job that the sweep re-enqueues after <see cref="JobOptions.StuckAfter"/>.
    /// </summary>
    internal async Task<JobRecord> EnqueueNewAsync(JobRecord job, CancellationToken ct)
    {
        var seq = job.Request.OrderingKey is { } key ? await lanes.JoinAsync(key, job.Id, job.ReplayCount, ct) : (long?)null;
        var marked = await store.TryReplaceAsync(job with { Seq = seq, Enqueued = true, UpdatedAt = time.GetUtcNow() }, ct);
        if (marked is null)
        {
            return await store.GetAsync(job.Id, ct) ?? job;
        }

        await store.EnqueueAsync(job.Id, job.NotBefore - time.GetUtcNow(), ct);
        return marked;
    }

    /// <summary>The configured options, for callers that parse requests.</summary>
    public JobOptions Options => options.Value;
}
