using System.Net.Http.Headers;
using System.Text.Json;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;

namespace Serverless.Core.Dispatch;

/// <summary>
/// One attempt against one target: an HTTP call through <see cref="IHttpClientFactory"/>, or an enqueue. The target is
/// checked against <see cref="TargetAllowlist"/> first (a pool saved before the allowlist tightened is refused too).
/// Failure details are generic: the caller learns neither the target's address nor whether a port answered; the
/// real reason is logged.
/// </summary>
public sealed partial class TargetSender(
    IHttpClientFactory clients, StorageClients storage, TargetAllowlist allowlist, IOptions<DispatchOptions> options, TimeProvider time, ILogger<TargetSender> logger)
{
    /// <summary>What a caller is told when a target could not be reached or was refused.</summary>
    public const string UnreachableDetail = "The target could not be reached.";

    /// <summary>What a caller is told when a target did not answer in time.</summary>
    public const string TimedOutDetail = "The target did not answer in time.";

    /// <summary>Name of the <see cref="HttpClient"/> dispatch uses (no redirects, no cookies, buffered bodies).</summary>
    public const string ClientName = "dispatch";

    /// <summary>What one attempt produced.</summary>
    /// <param name="Status">Relayed (an answer), Unreachable or TimedOut.</param>
    /// <param name="StatusCode">Answer status.</param>
    /// <param name="Headers">Answer headers.</param>
    /// <param name="Body">Answer body.</param>
    /// <param name="Latency">Time from send to body read.</param>
    /// <param name="Detail">Why it failed.</param>
    public sealed record Attempt(ForwardStatus Status, int StatusCode, IReadOnlyList<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Body, TimeSpan Latency, string? Detail)
    {
        /// <summary>Connect failure, timeout or 5xx: a failure for health, and worth a retry elsewhere.</summary>
        public bool Failed => Status != ForwardStatus.Relayed || StatusCode >= 500;
    }

    /// <summary>Sends the request to the leased target within the configured timeout.</summary>
    public Task<Attempt> SendAsync(PoolLease lease, ForwardRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (lease.Kind == TargetKind.Queue && allowlist.Refusal(new PoolTarget(lease.TargetId, lease.Kind, lease.Address, 1)) is { } refusal)
        {
            LogRefused(logger, lease.Pool, lease.TargetId, refusal);
            return Task.FromResult(new Attempt(ForwardStatus.Unreachable, 0, [], default, TimeSpan.Zero, UnreachableDetail));
        }

        return lease.Kind == TargetKind.Queue ? EnqueueAsync(lease, request, cancellationToken) : SendHttpAsync(lease.Address, request, cancellationToken);
    }

    /// <summary>Sends an HTTP request to <paramref name="baseUrl"/> plus the request path.</summary>
    public async Task<Attempt> SendHttpAsync(string baseUrl, ForwardRequest request, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (allowlist.Refusal(new PoolTarget("", TargetKind.Http, baseUrl, 1)) is { } refusal)
        {
            LogRefused(logger, request.Pool, baseUrl, refusal);
            return new Attempt(ForwardStatus.Unreachable, 0, [], default, TimeSpan.Zero, UnreachableDetail);
        }

        if (ForwardPath.Combine(baseUrl, request.PathAndQuery) is not { } uri)
        {
            LogRefused(logger, request.Pool, baseUrl, "the path would leave the target's base path");
            return new Attempt(ForwardStatus.Unreachable, 0, [], default, TimeSpan.Zero, UnreachableDetail);
        }

        using var message = new HttpRequestMessage(new HttpMethod(request.Method), uri);
        if (!request.Body.IsEmpty)
        {
            message.Content = new ReadOnlyMemoryContent(request.Body);
        }

        foreach (var (name, value) in ForwardHeaders.Outgoing(request.Headers, request.Origin))
        {
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content ??= new ReadOnlyMemoryContent(ReadOnlyMemory<byte>.Empty);
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? options.Value.Timeout);
        var started = time.GetTimestamp();
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(message, HttpCompletionOption.ResponseContentRead, deadline.Token);
            var body = await response.Content.ReadAsByteArrayAsync(deadline.Token);
            // Set-Cookie is kept here: whether it is relayed is the pool's choice, made by the forwarder.
            var headers = ForwardHeaders.Incoming(Copy(response.Headers).Concat(Copy(response.Content.Headers)).ToList(), passSetCookie: true).ToList();
            return new Attempt(ForwardStatus.Relayed, (int)response.StatusCode, headers, body, time.GetElapsedTime(started), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, request.Pool, baseUrl, $"no answer within {(timeout ?? options.Value.Timeout).TotalMilliseconds:F0} ms", null);
            return new Attempt(ForwardStatus.TimedOut, 0, [], default, time.GetElapsedTime(started), TimedOutDetail);
        }
        catch (HttpRequestException ex)
        {
            LogFailed(logger, request.Pool, baseUrl, ex.Message, ex);
            return new Attempt(ForwardStatus.Unreachable, 0, [], default, time.GetElapsedTime(started), UnreachableDetail);
        }
    }

    // A queue target gets a JSON envelope of the request; the answer is 202 with the message id.
    private async Task<Attempt> EnqueueAsync(PoolLease lease, ForwardRequest request, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var envelope = JsonSerializer.Serialize(new
        {
            method = request.Method,
            path = request.PathAndQuery,
            headers = ForwardHeaders.Outgoing(request.Headers, request.Origin).GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => string.Join(", ", g.Select(h => h.Value)), StringComparer.OrdinalIgnoreCase),
            body = Convert.ToBase64String(request.Body.Span),
        });
        try
        {
            var queue = storage.Queues.GetQueueClient(lease.Address);
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            var receipt = await queue.SendMessageAsync(envelope, cancellationToken);
            var body = JsonSerializer.SerializeToUtf8Bytes(new { queue = lease.Address, messageId = receipt.Value.MessageId });
            return new Attempt(ForwardStatus.Relayed, 202, [new("Content-Type", "application/json")], body, time.GetElapsedTime(started), null);
        }
        catch (RequestFailedException ex)
        {
            LogFailed(logger, lease.Pool, lease.Address, ex.Message, ex);
            return new Attempt(ForwardStatus.Unreachable, 0, [], default, time.GetElapsedTime(started), UnreachableDetail);
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> Copy(HttpHeaders headers) =>
        headers.SelectMany(h => h.Value.Select(v => KeyValuePair.Create(h.Key, v)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dispatch pool {Pool}: target {Target} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string pool, string target, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dispatch pool {Pool}: target {Target} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string pool, string target, string reason, Exception? exception);
}
