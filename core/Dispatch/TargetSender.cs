using System.Net.Http.Headers;
using System.Text.Json;
using Azure;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;

namespace Serverless.Core.Dispatch;

/// <summary>One attempt against one target: an HTTP call through <see cref="IHttpClientFactory"/>, or an enqueue.</summary>
public sealed class TargetSender(IHttpClientFactory clients, StorageClients storage, IOptions<DispatchOptions> options, TimeProvider time)
{
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
        return lease.Kind == TargetKind.Queue ? EnqueueAsync(lease, request, cancellationToken) : SendHttpAsync(lease.Address, request, cancellationToken);
    }

    /// <summary>Sends an HTTP request to <paramref name="baseUrl"/> plus the request path.</summary>
    public async Task<Attempt> SendHttpAsync(string baseUrl, ForwardRequest request, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), Combine(baseUrl, request.PathAndQuery));
        if (!request.Body.IsEmpty)
        {
            message.Content = new ReadOnlyMemoryContent(request.Body);
        }

        foreach (var (name, value) in request.Headers.Where(h => ForwardHeaders.IsForwardable(h.Key)))
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
            var headers = Copy(response.Headers).Concat(Copy(response.Content.Headers)).ToList();
            return new Attempt(ForwardStatus.Relayed, (int)response.StatusCode, headers, body, time.GetElapsedTime(started), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new Attempt(ForwardStatus.TimedOut, 0, [], default, time.GetElapsedTime(started), $"No answer within {(timeout ?? options.Value.Timeout).TotalMilliseconds:F0} ms.");
        }
        catch (HttpRequestException ex)
        {
            return new Attempt(ForwardStatus.Unreachable, 0, [], default, time.GetElapsedTime(started), ex.Message);
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
            headers = request.Headers.Where(h => ForwardHeaders.IsForwardable(h.Key)).ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase),
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
            return new Attempt(ForwardStatus.Unreachable, 0, [], default, time.GetElapsedTime(started), $"Queue '{lease.Address}': {ex.Message}");
        }
    }

    private static Uri Combine(string baseUrl, string pathAndQuery)
    {
        var suffix = pathAndQuery.Length == 0 || pathAndQuery[0] is '/' or '?' ? pathAndQuery : "/" + pathAndQuery;
        return new Uri(baseUrl.TrimEnd('/') + suffix, UriKind.Absolute);
    }

    private static IEnumerable<KeyValuePair<string, string>> Copy(HttpHeaders headers) =>
        headers.Where(h => ForwardHeaders.IsForwardable(h.Key)).SelectMany(h => h.Value.Select(v => KeyValuePair.Create(h.Key, v)));
}
