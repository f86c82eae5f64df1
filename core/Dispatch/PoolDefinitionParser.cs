using System.Text.Json;
using System.Text.RegularExpressions;

namespace Serverless.Core.Dispatch;

/// <summary>
/// Reads and validates pool JSON: <c>{"policy": "...", "targets": [{"id"?, "url" | "queue", "weight"?}], "probePath"?, "passSetCookie"?}</c>,
/// plus <c>hashKey</c>, <c>balanceFactor</c> and <c>tableSize</c> for the hashing policies (see <c>Hashing/PoolHashingJson.cs</c>).
/// This is the shape only; <see cref="TargetAllowlist"/> decides whether the targets may be used.
/// Every rule a bad pool breaks is reported in one message, so a caller fixes it in one go.
/// </summary>
public static partial class PoolDefinitionParser
{
    /// <summary>Most targets in one pool (every pick reads each target's state).</summary>
    public const int MaxTargets = 64;

    /// <summary>Largest weight of one target.</summary>
    public const int MaxWeight = 10_000;

    /// <summary>A definition, or null and the reason it was refused.</summary>
    public static (PoolDefinition? Definition, string? Error) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, "The pool must be a JSON object.");
        }

        var errors = new List<string>();
        var policy = DispatchPolicy.RoundRobin;
        if (!body.TryGetProperty("policy", out var p) || p.ValueKind != JsonValueKind.String || !DispatchPolicyNames.TryParse(p.GetString(), out policy))
        {
            errors.Add($"'policy' must be one of: {string.Join(", ", DispatchPolicyNames.All)}.");
        }

        string? probePath = null;
        if (body.TryGetProperty("probePath", out var probe) && probe.ValueKind != JsonValueKind.Null)
        {
            probePath = probe.ValueKind == JsonValueKind.String ? probe.GetString() : null;
            if (probePath is null || !probePath.StartsWith('/') || probePath.StartsWith("//", StringComparison.Ordinal) || probePath.Length > 256)
            {
                errors.Add("'probePath' must be a path starting with a single '/'.");
            }
        }

        var passSetCookie = false;
        if (body.TryGetProperty("passSetCookie", out var cookie) && cookie.ValueKind != JsonValueKind.Null)
        {
            if (cookie.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                passSetCookie = cookie.GetBoolean();
            }
            else
            {
                errors.Add("'passSetCookie' must be true or false.");
            }
        }

        var targets = new List<PoolTarget>();
        if (!body.TryGetProperty("targets", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            errors.Add("'targets' must be a non-empty array.");
        }
        else if (list.GetArrayLength() > MaxTargets)
        {
            errors.Add($"A pool holds at most {MaxTargets} targets.");
        }
        else
        {
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                index++;
                if (ParseTarget(item, index, errors) is { } target)
                {
                    targets.Add(target);
                }
            }

            foreach (var duplicate in targets.GroupBy(t => t.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                errors.Add($"Target id '{duplicate.Key}' is used more than once.");
            }

            if (targets.Count == list.GetArrayLength() && targets.Sum(t => (long)t.Weight) <= 0)
            {
                errors.Add("The weights must add up to more than zero.");
            }
        }

        var hashing = ParseHashing(body, policy, targets.Count, errors);
        return errors.Count > 0 ? (null, string.Join(" ", errors)) : (new PoolDefinition(policy, targets, probePath, passSetCookie, hashing), null);
    }

    private static PoolTarget? ParseTarget(JsonElement item, int index, List<string> errors)
    {
        var where = $"targets[{index - 1}]";
        if (item.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{where} must be an object.");
            return null;
        }

        var id = $"t{index}";
        if (item.TryGetProperty("id", out var idElement))
        {
            id = idElement.ValueKind == JsonValueKind.String ? idElement.GetString()! : "";
            if (!TargetId().IsMatch(id))
            {
                errors.Add($"{where}.id must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'.");
                return null;
            }
        }

        var weight = 1;
        if (item.TryGetProperty("weight", out var w) && (w.ValueKind != JsonValueKind.Number || !w.TryGetInt32(out weight) || weight < 0 || weight > MaxWeight))
        {
            errors.Add($"{where}.weight must be a whole number from 0 to {MaxWeight}.");
            return null;
        }

        var hasUrl = item.TryGetProperty("url", out var url);
        var hasQueue = item.TryGetProperty("queue", out var queue);
        if (hasUrl == hasQueue)
        {
            errors.Add($"{where} needs exactly one of 'url' or 'queue'.");
            return null;
        }

        if (hasQueue)
        {
            var name = queue.ValueKind == JsonValueKind.String ? queue.GetString()! : "";
            if (!QueueName().IsMatch(name) || name.Contains("--", StringComparison.Ordinal))
            {
                errors.Add($"{where}.queue must be a Storage queue name (3-63 lower-case letters, digits and single hyphens).");
                return null;
            }

            return new PoolTarget(id, TargetKind.Queue, name, weight);
        }

        if (url.ValueKind != JsonValueKind.String || !IsUsableBaseUrl(url.GetString()!))
        {
            errors.Add($"{where}.url must be an absolute http or https URL without credentials, query or fragment.");
            return null;
        }

        return new PoolTarget(id, TargetKind.Http, url.GetString()!.TrimEnd('/'), weight);
    }

    private static bool IsUsableBaseUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.Host.Length > 0
        && uri.UserInfo.Length == 0
        && uri.Query.Length == 0
        && uri.Fragment.Length == 0
        && text.Length <= 2048;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex TargetId();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex QueueName();
}

/// <summary>Writes a definition in the JSON shape <see cref="PoolDefinitionParser"/> reads.</summary>
public static partial class PoolDefinitionJson
{
    /// <summary>The definition as pool JSON.</summary>
    public static string Write(PoolDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("policy", definition.Policy.Name());
            if (definition.ProbePath is not null)
            {
                json.WriteString("probePath", definition.ProbePath);
            }

            if (definition.PassSetCookie)
            {
                json.WriteBoolean("passSetCookie", true);
            }

            WriteHashing(json, definition);
            json.WriteStartArray("targets");
            foreach (var target in definition.Targets)
            {
                json.WriteStartObject();
                json.WriteString("id", target.Id);
                json.WriteString(target.Kind == TargetKind.Http ? "url" : "queue", target.Address);
                json.WriteNumber("weight", target.Weight);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
