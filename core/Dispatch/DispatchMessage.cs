using System.Text.Json;

namespace Serverless.Core.Dispatch;

/// <summary>A queued dispatch request: <c>{"pool": "...", "path": "...", "payload": any JSON, "idempotencyKey": "..."?}</c>.</summary>
/// <param name="Pool">Pool name.</param>
/// <param name="Path">Path below the target's base URL (with query), may be empty.</param>
/// <param name="Payload">JSON sent as the POST body (null = empty body).</param>
/// <param name="IdempotencyKey">Sent as <c>Idempotency-Key</c>; with it a failed attempt is retried on another target.</param>
public sealed record DispatchMessage(string Pool, string Path, JsonElement? Payload, string? IdempotencyKey)
{
    /// <summary>The message, or null and why it can never be delivered.</summary>
    public static (DispatchMessage? Message, string? Error) Parse(string text)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(text ?? "");
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            return (null, $"The message is not JSON: {ex.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, "The message must be a JSON object {pool, path, payload, idempotencyKey}.");
        }

        var pool = root.TryGetProperty("pool", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        if (!PoolName.IsValid(pool))
        {
            return (null, "'pool' is missing or invalid. " + PoolName.Rule);
        }

        var path = "";
        if (root.TryGetProperty("path", out var pathElement) && pathElement.ValueKind != JsonValueKind.Null)
        {
            if (pathElement.ValueKind != JsonValueKind.String || ForwardPath.Problem(pathElement.GetString()!) is not null)
            {
                return (null, "'path' must be a relative path string below the target's base path.");
            }

            path = pathElement.GetString()!;
        }

        string? key = null;
        if (root.TryGetProperty("idempotencyKey", out var k) && k.ValueKind != JsonValueKind.Null)
        {
            if (k.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(k.GetString()) || k.GetString()!.Length > 256)
            {
                return (null, "'idempotencyKey' must be a non-empty string of at most 256 characters.");
            }

            key = k.GetString();
        }

        JsonElement? payload = root.TryGetProperty("payload", out var body) && body.ValueKind != JsonValueKind.Null ? body : null;
        return (new DispatchMessage(pool!, path, payload, key), null);
    }
}
