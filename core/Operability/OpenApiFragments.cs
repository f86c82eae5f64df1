using System.Text.Json.Nodes;

namespace Serverless.Core.Operability;

/// <summary>
/// Merging OpenAPI fragments (one per feature) into one document, and completing each operation from its
/// <c>x-function</c> and <c>x-auth</c> members. The functions project's <c>OpenApiDocumentBuilder</c> drives it.
/// </summary>
/// <remarks>By hand over System.Text.Json nodes: OpenAPI.NET models documents but has no fragment merge.</remarks>
public static class OpenApiFragments
{
    private static readonly Dictionary<string, string[]> Security = new(StringComparer.Ordinal)
    {
        ["anonymous"] = [],
        ["function"] = ["functionKey", "functionKeyQuery"],
        ["admin"] = ["masterKey", "masterKeyQuery"],
    };

    /// <summary>Adds a fragment's paths and components; a path method or component defined twice differently is an error.</summary>
    public static void Merge(JsonObject document, JsonObject fragment, string source)
    {
        var paths = document["paths"]!.AsObject();
        foreach (var (path, item) in fragment["paths"]?.AsObject() ?? [])
        {
            if (paths[path] is not JsonObject existing)
            {
                paths[path] = item!.DeepClone();
                continue;
            }

            foreach (var (key, value) in item!.AsObject())
            {
                AddOnce(existing, key, value!, $"{source}: paths '{path}' {key}");
            }
        }

        var components = document["components"]!.AsObject();
        foreach (var (section, entries) in fragment["components"]?.AsObject() ?? [])
        {
            if (components[section] is not JsonObject target)
            {
                components[section] = target = [];
            }

            foreach (var (name, value) in entries!.AsObject())
            {
                AddOnce(target, name, value!, $"{source}: components/{section}/{name}");
            }
        }
    }

    /// <summary>An operation, or a copy of the shared operation (in <c>components/{sharedSection}</c>) its <c>$ref</c> names.</summary>
    public static JsonObject Resolve(JsonObject operation, JsonObject shared, string sharedSection)
    {
        var prefix = $"#/components/{sharedSection}/";
        if (operation["$ref"]?.GetValue<string>() is not { } reference)
        {
            return operation;
        }

        return reference.StartsWith(prefix, StringComparison.Ordinal) && shared[reference[prefix.Length..]] is JsonObject target
            ? target.DeepClone().AsObject()
            : throw new InvalidOperationException($"Operation reference '{reference}' names no {prefix}… entry.");
    }

    /// <summary>operationId first, then the fragment's members, security from x-auth, and the 400/503 problems.</summary>
    public static JsonObject Complete(JsonObject operation, string operationId)
    {
        var auth = operation["x-auth"]?.GetValue<string>() ?? "";
        if (!Security.TryGetValue(auth, out var schemes))
        {
            throw new InvalidOperationException($"{operationId}: x-auth must be anonymous, function or admin (was '{auth}').");
        }

        var completed = new JsonObject { ["operationId"] = operationId };
        foreach (var (key, value) in operation)
        {
            completed[key] = value!.DeepClone();
        }

        completed["security"] = new JsonArray([.. schemes.Select(s => (JsonNode)new JsonObject { [s] = new JsonArray() })]);
        var responses = completed["responses"]!.AsObject();
        // Every route refuses malformed input (the fuzz suite holds it to that) and answers a Redis or Storage outage with 503.
        AddDefault(responses, "400", "BadRequest");
        AddDefault(responses, "503", "Unavailable");
        completed["responses"] = Sorted(responses);
        return completed;
    }

    private static void AddDefault(JsonObject responses, string status, string component)
    {
        if (!responses.ContainsKey(status))
        {
            responses[status] = new JsonObject { ["$ref"] = $"#/components/responses/{component}" };
        }
    }

    private static JsonObject Sorted(JsonObject responses)
    {
        var sorted = new JsonObject();
        foreach (var (status, value) in responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList())
        {
            sorted[status] = value!.DeepClone();
        }

        return sorted;
    }

    private static void AddOnce(JsonObject target, string key, JsonNode value, string where)
    {
        if (target[key] is { } existing)
        {
            if (!JsonNode.DeepEquals(existing, value))
            {
                throw new InvalidOperationException($"{where} is defined twice, differently.");
            }

            return;
        }

        target[key] = value.DeepClone();
    }
}
