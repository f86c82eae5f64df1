using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Serverless.Core.Dispatch;

namespace Serverless.Core.Jobs;

/// <summary>
/// A job as submitted: <c>{pool, method?, path, payload?, orderingKey?, delay?, maxAttempts?}</c>, with
/// <c>delay</c> in seconds. Every rule a bad request breaks is reported in one message.
/// </summary>
/// <param name="Pool">Dispatch pool the job is forwarded through.</param>
/// <param name="Method">HTTP method sent to the target (POST when not given).</param>
/// <param name="Path">Path below the target's base URL, with query.</param>
/// <param name="Payload">JSON body sent to the target, as text (null = empty body).</param>
/// <param name="OrderingKey">Jobs with the same key run one at a time in submission order.</param>
/// <param name="Delay">Earliest start, from submission.</param>
/// <param name="MaxAttempts">Attempts before the job is dead.</param>
public sealed record JobRequest(string Pool, string Method, string Path, string? Payload, string? OrderingKey, TimeSpan Delay, int MaxAttempts)
{
    /// <summary>Longest ordering key.</summary>
    public const int MaxOrderingKeyLength = 200;

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    /// <summary>
    /// What the request asks for, so the same Idempotency-Key with another body is told apart: SHA-256 over the
    /// normalised fields (not the raw bytes, so whitespace or member order do not make a different job).
    /// </summary>
    public string Fingerprint()
    {
        var canonical = JsonSerializer.Serialize(new object?[] { Pool, Method, Path, Payload, OrderingKey, Delay.Ticks, MaxAttempts });
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>The request, or null and every reason it was refused.</summary>
    public static (JobRequest? Request, string? Error) Parse(JsonElement body, JobOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, "The job must be a JSON object {pool, method?, path, payload?, orderingKey?, delay?, maxAttempts?}.");
        }

        var errors = new List<string>();
        var pool = String(body, "pool");
        if (!PoolName.IsValid(pool))
        {
            errors.Add("'pool' is missing or invalid. " + PoolName.Rule);
        }

        var method = "POST";
        if (Present(body, "method", out var m))
        {
            method = m.ValueKind == JsonValueKind.String ? m.GetString()!.ToUpperInvariant() : "";
            if (!Methods.Contains(method, StringComparer.Ordinal))
            {
                errors.Add($"'method' must be one of {string.Join(", ", Methods)}.");
            }
        }

        var path = String(body, "path");
        if (path is null || !path.StartsWith('/') || path.Length > 2048 || ForwardPath.Problem(path) is not null)
        {
            errors.Add("'path' must be a path starting with '/' below the pool's targets (at most 2048 characters, no '..' or absolute URL).");
        }

        string? payload = null;
        if (Present(body, "payload", out var p))
        {
            payload = p.GetRawText();
            if (Encoding.UTF8.GetByteCount(payload) > options.MaxPayloadBytes)
            {
                errors.Add($"'payload' must be at most {options.MaxPayloadBytes} bytes of JSON.");
            }
        }

        string? orderingKey = null;
        if (Present(body, "orderingKey", out var k))
        {
            orderingKey = k.ValueKind == JsonValueKind.String ? k.GetString() : null;
            if (string.IsNullOrWhiteSpace(orderingKey) || orderingKey.Length > MaxOrderingKeyLength || orderingKey.Any(char.IsControl))
            {
                errors.Add($"'orderingKey' must be a string of 1-{MaxOrderingKeyLength} characters without control characters.");
            }
        }

        var delay = TimeSpan.Zero;
        if (Present(body, "delay", out var d))
        {
            if (d.ValueKind == JsonValueKind.Number && d.TryGetDouble(out var seconds) && seconds >= 0 && seconds <= options.MaxDelay.TotalSeconds)
            {
                delay = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                errors.Add($"'delay' must be a number of seconds from 0 to {options.MaxDelay.TotalSeconds:F0}.");
            }
        }

        var maxAttempts = options.DefaultMaxAttempts;
        if (Present(body, "maxAttempts", out var a))
        {
            if (a.ValueKind == JsonValueKind.Number && a.TryGetInt32(out var attempts) && attempts >= 1 && attempts <= options.MaxAttemptsLimit)
            {
                maxAttempts = attempts;
            }
            else
            {
                errors.Add($"'maxAttempts' must be a whole number from 1 to {options.MaxAttemptsLimit}.");
            }
        }

        return errors.Count > 0
            ? (null, string.Join(" ", errors))
            : (new JobRequest(pool!, method, path!, payload, orderingKey, delay, maxAttempts), null);
    }

    private static string? String(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // An explicit null counts as absent, like a missing member.
    private static bool Present(JsonElement body, string name, out JsonElement value) =>
        body.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
}
