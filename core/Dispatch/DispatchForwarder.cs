using Microsoft.Extensions.Logging;
using Serverless.Core.Redis;
using Serverless.Core.Telemetry;

namespace Serverless.Core.Dispatch;

/// <summary>
/// Picks a target, sends, records the outcome (which releases the lease and feeds health and latency), and on a
/// connect failure, timeout or 5xx retries once on a different target when the request is safe to repeat.
/// Without Redis a pick throws (nothing was sent, so the caller answers 503); a target's answer is relayed even when
/// recording its outcome fails.
/// </summary>
/// <remarks>
/// The retry is written here rather than with a Polly/Microsoft.Extensions.Http.Resilience retry strategy because the
/// second attempt needs a new decision from the shared pool state (a fresh pick that excludes the failed target, with
/// its own lease and its own recorded outcome); a resilience pipeline around one HttpClient call re-sends to the same
/// URI and cannot take part in that. Timeouts are one linked CancellationTokenSource per attempt for the same reason.
/// </remarks>
public sealed partial class DispatchForwarder(DispatchStore store, TargetSender sender, ILogger<DispatchForwarder> logger)
{
    /// <summary>Forwards the request through the pool.</summary>
    public async Task<ForwardResult> ForwardAsync(ForwardRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var span = DispatchMetrics.StartForward(request.Pool);
        var first = await store.PickAsync(request.Pool, keyOf: request.HashKey);
        if (first.Lease is not { } lease)
        {
            return Unpicked(first, null, 0);
        }

        var attempt = await SendAndRecordAsync(lease, request, cancellationToken);
        if (!attempt.Failed || !request.IsRetryable)
        {
            return await ResultAsync(request.Pool, attempt, lease, 1);
        }

        var second = await store.PickAsync(request.Pool, excludeTargetId: lease.TargetId, keyOf: request.HashKey);
        if (second.Lease is not { } other)
        {
            // Nowhere else to go: the first failure is the answer.
            return await ResultAsync(request.Pool, attempt, lease, 1);
        }

        LogRetry(logger, request.Pool, lease.TargetId, other.TargetId);
        return await ResultAsync(request.Pool, await SendAndRecordAsync(other, request, cancellationToken), other, 2);
    }

    private async Task<TargetSender.Attempt> SendAndRecordAsync(PoolLease lease, ForwardRequest request, CancellationToken cancellationToken)
    {
        TargetSender.Attempt attempt;
        DispatchMetrics.Sending(lease.Pool, lease.TargetId);
        try
        {
            attempt = await sender.SendAsync(lease, request, cancellationToken);
        }
        catch (Exception)
        {
            DispatchMetrics.Sent(lease.Pool, lease.TargetId, null, failed: true);
            // Our caller went away, or the attempt threw before any answer: that says nothing about the target's
            // health, but the lease must not linger and skew the pool until it expires.
            await TryRecordAsync(lease, Outcome.Released, null);
            throw;
        }

        DispatchMetrics.Sent(lease.Pool, lease.TargetId, attempt.Latency, attempt.Failed);
        var recorded = await TryRecordAsync(lease, attempt.Failed ? Outcome.Failure : Outcome.Success, attempt.Latency);
        if (attempt.Failed && recorded is { Ejected: true })
        {
            LogEjected(logger, lease.Pool, lease.TargetId, recorded.EjectedUntil);
        }

        return attempt;
    }

    // The target has already acted on the request: failing now with a 503 would invite a client retry that runs a
    // non-idempotent call twice, so the answer is relayed anyway. Only this outcome's health and latency sample is
    // lost; the lease ends by itself after Dispatch:LeaseDuration.
    private async Task<RecordResult?> TryRecordAsync(PoolLease lease, Outcome outcome, TimeSpan? latency)
    {
        try
        {
            return await store.RecordAsync(lease, outcome, latency);
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            LogRecordFailed(logger, lease.Pool, lease.TargetId, outcome, ex);
            return null;
        }
    }

    private async Task<ForwardResult> ResultAsync(string pool, TargetSender.Attempt attempt, PoolLease lease, int attempts)
    {
        var headers = attempt.Headers;
        if (headers.Any(h => h.Key.Equals(ForwardHeaders.SetCookie, StringComparison.OrdinalIgnoreCase) || h.Key.Equals("Set-Cookie2", StringComparison.OrdinalIgnoreCase)))
        {
            // The pick does not carry the definition, so the pool's choice is read only when a cookie is in play.
            headers = ForwardHeaders.Incoming(headers, await PassesSetCookieAsync(pool)).ToList();
        }

        return new(attempt.Status, attempt.StatusCode, headers, attempt.Body, lease.TargetId, attempts, Detail: attempt.Detail, Route: lease.Route);
    }

    // Unknown (Redis gone meanwhile) means no: a cookie set on the app's domain by a target is the risk being closed.
    private async Task<bool> PassesSetCookieAsync(string pool)
    {
        try
        {
            return (await store.GetAsync(pool))?.Definition.PassSetCookie ?? false;
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            return false;
        }
    }

    private static ForwardResult Unpicked(PickResult pick, string? targetId, int attempts) => pick.Status switch
    {
        PickStatus.PoolNotFound => new ForwardResult(ForwardStatus.PoolNotFound, TargetId: targetId, Attempts: attempts, Detail: "No such pool."),
        PickStatus.NoKey => new ForwardResult(ForwardStatus.MissingKey, Detail: pick.Detail),
        PickStatus.AllEjected => new ForwardResult(ForwardStatus.Unavailable, TargetId: targetId, Attempts: attempts, RetryAfter: pick.RetryAfter,
            Detail: "Every target of the pool is ejected after failing."),
        _ => new ForwardResult(ForwardStatus.Unavailable, TargetId: targetId, Attempts: attempts, RetryAfter: TimeSpan.FromSeconds(1),
            Detail: "The pool has no target with weight available."),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Dispatch pool {Pool}: target {Failed} failed, retrying on {Next}")]
    private static partial void LogRetry(ILogger logger, string pool, string failed, string next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dispatch pool {Pool}: outcome {Outcome} of target {Target} not recorded: Redis unavailable")]
    private static partial void LogRecordFailed(ILogger logger, string pool, string target, Outcome outcome, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dispatch pool {Pool}: target {Target} ejected until {Until}")]
    private static partial void LogEjected(ILogger logger, string pool, string target, DateTimeOffset? until);
}
