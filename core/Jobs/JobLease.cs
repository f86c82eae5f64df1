using Microsoft.Extensions.Logging;

namespace Serverless.Core.Jobs;

/// <summary>
/// A runner's claim on a running job, renewed by a heartbeat every third of the lease. All writes of the run go
/// through it, so they use the ETag of the last one; a failed renewal means another runner took the job over after
/// the lease ran out, and the run is cancelled so it records nothing.
/// </summary>
internal sealed partial class JobLease : IAsyncDisposable
{
    private readonly JobStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _duration;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _heartbeat;

    public JobLease(JobRecord claimed, JobStore store, TimeProvider time, TimeSpan duration, ILogger logger)
    {
        Job = claimed;
        _store = store;
        _time = time;
        _duration = duration;
        _logger = logger;
        _heartbeat = BeatAsync();
    }

    /// <summary>The job as last written by this run.</summary>
    public JobRecord Job { get; private set; }

    /// <summary>Cancelled when the claim was lost.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Writes the run's outcome (stopping the heartbeat first); null when the claim was lost.</summary>
    public async Task<JobRecord?> CompleteAsync(Func<JobRecord, JobRecord> outcome)
    {
        await StopAsync();
        if (_lost.IsCancellationRequested)
        {
            return null;
        }

        return await _store.TryReplaceAsync(outcome(Job) with { LeaseOwner = null, LeaseUntil = null, UpdatedAt = _time.GetUtcNow() });
    }

    private async Task BeatAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(_duration / 3, _time, _stop.Token);
                await _gate.WaitAsync(_stop.Token);
                // One renewal may take a beat, no more: a try stuck on an unanswered connection would otherwise hold
                // the next beats back for the Storage retries' whole span (3 tries of Storage:NetworkTimeout), past
                // the lease. The next beat tries again.
                using var deadline = new CancellationTokenSource(_duration / 3, _time);
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, deadline.Token);
                try
                {
                    var now = _time.GetUtcNow();
                    var renewed = await _store.TryReplaceAsync(Job with { LeaseUntil = now + _duration, UpdatedAt = now }, beat.Token);
                    if (renewed is null && await _store.GetAsync(Job.Id, beat.Token) is { State: JobState.Running } current && current.LeaseOwner == Job.LeaseOwner)
                    {
                        // Still ours: a takeover always writes a new owner. The row changed under another ETag, e.g. our
                        // last renewal committed but its answer was lost and the SDK's retry failed on our own change.
                        renewed = await _store.TryReplaceAsync(current with { LeaseUntil = now + _duration, UpdatedAt = now }, beat.Token);
                    }

                    if (renewed is null)
                    {
                        LogLost(_logger, Job.Id);
                        await _lost.CancelAsync();
                        return;
                    }

                    Job = renewed;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !_stop.IsCancellationRequested)
                {
                    // A storage blip: two more beats fit in the lease, so keep trying; an expired lease is taken over.
                    LogBeatFailed(_logger, Job.Id, ex);
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped: the run is over.
        }
    }

    private async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _heartbeat;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
        _lost.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: lease lost to another runner; this run records nothing")]
    private static partial void LogLost(ILogger logger, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: lease heartbeat failed")]
    private static partial void LogBeatFailed(ILogger logger, string jobId, Exception exception);
}
