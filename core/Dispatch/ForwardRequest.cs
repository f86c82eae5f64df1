namespace Serverless.Core.Dispatch;

/// <summary>A request to forward through a pool.</summary>
/// <param name="Pool">Pool name.</param>
/// <param name="Method">HTTP method.</param>
/// <param name="PathAndQuery">Path below the target's base URL, with query string (may be empty).</param>
/// <param name="Headers">Caller headers; only forwardable ones are sent (see <see cref="ForwardHeaders"/>).</param>
/// <param name="Body">Request body, buffered so a retry can send it again.</param>
/// <param name="Origin">The caller, for the <c>X-Forwarded-*</c> headers (null for queued requests).</param>
public sealed record ForwardRequest(string Pool, string Method, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Body, ForwardOrigin? Origin = null)
{
    /// <summary>Header that makes a non-idempotent request safe to retry on another target.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>
    /// True when a failed attempt may be sent again: idempotent methods (RFC 9110 §9.2.2), or any method carrying an
    /// <c>Idempotency-Key</c> the backend can deduplicate on.
    /// </summary>
    public bool IsRetryable =>
        Method.ToUpperInvariant() is "GET" or "HEAD" or "OPTIONS" or "TRACE" or "PUT" or "DELETE"
        || Headers.Any(h => string.Equals(h.Key, IdempotencyKeyHeader, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(h.Value));

    /// <summary>The request's key under a hashing pool's rule (null = none).</summary>
    public string? HashKey(Hashing.HashKeyRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return rule.From(this);
    }
}

/// <summary>How a forward ended.</summary>
public enum ForwardStatus
{
    /// <summary>A target answered; its response is relayed (a 5xx only when no other target could be tried).</summary>
    Relayed,

    /// <summary>No pool of that name.</summary>
    PoolNotFound,

    /// <summary>Every target is ejected (or none is left); retry after <see cref="ForwardResult.RetryAfter"/>.</summary>
    Unavailable,

    /// <summary>The target could not be reached (connect failure, queue error) and no retry was possible or it failed too.</summary>
    Unreachable,

    /// <summary>The target did not answer within the timeout and no retry was possible or it failed too.</summary>
    TimedOut,

    /// <summary>The pool hashes by a key the request does not carry (a caller error; nothing was sent).</summary>
    MissingKey,
}

/// <summary>The relayed response, or why there is none.</summary>
/// <param name="Status">What happened.</param>
/// <param name="StatusCode">Backend status code when relayed.</param>
/// <param name="Headers">Backend response headers (hop-by-hop removed) when relayed.</param>
/// <param name="Body">Backend response body when relayed.</param>
/// <param name="TargetId">The target that produced the result (the last one tried).</param>
/// <param name="Attempts">Targets tried (1 or 2).</param>
/// <param name="RetryAfter">When <see cref="ForwardStatus.Unavailable"/>: time until a target is readmitted.</param>
/// <param name="Detail">Human-readable reason for a failure, generic: never an internal address or socket error.</param>
/// <param name="Route">Why a ring-hash or maglev pool chose the target (null for other policies).</param>
public sealed record ForwardResult(
    ForwardStatus Status,
    int StatusCode = 0,
    IReadOnlyList<KeyValuePair<string, string>>? Headers = null,
    ReadOnlyMemory<byte> Body = default,
    string? TargetId = null,
    int Attempts = 0,
    TimeSpan? RetryAfter = null,
    string? Detail = null,
    Hashing.HashRoute? Route = null);
