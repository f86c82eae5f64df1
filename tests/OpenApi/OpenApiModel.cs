using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing.Patterns;
using Serverless.Functions.OpenApi;
using Serverless.Tests.Foundation;

namespace Serverless.Tests.OpenApi;

/// <summary>One documented operation: where it is, which function answers it, and its (dereferenced) parts.</summary>
internal sealed record DocumentedOperation(string Method, string Path, string OperationId, string Function, string AuthLevel, JsonObject Operation, JsonObject PathItem);

/// <summary>Reads the generated document the way a client would: operations, parameters and schemas with every <c>$ref</c> followed.</summary>
internal sealed class OpenApiModel(JsonObject document)
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    public static OpenApiModel Generated { get; } = new(OpenApiDocumentBuilder.Build());

    public JsonObject Document { get; } = document;

    public IReadOnlyList<DocumentedOperation> Operations =>
        [.. from path in Document["paths"]!.AsObject()
            from method in Methods
            where path.Value![method] is JsonObject
            let operation = path.Value![method]!.AsObject()
            select new DocumentedOperation(
                method.ToUpperInvariant(), path.Key, operation["operationId"]!.GetValue<string>(), operation["x-function"]!.GetValue<string>(),
                AuthLevelOf(operation), operation, path.Value!.AsObject())];

    /// <summary>The path a <c>functions.metadata</c> route template is documented under: parameters without constraints or catch-all stars.</summary>
    public static string PathOf(string template) =>
        "/" + string.Join("/", RoutePatternFactory.Parse(template).PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => throw new InvalidOperationException($"Unexpected route part in '{template}'."),
        }))));

    /// <summary>The metadata's HTTP routes as (METHOD, path, function, authLevel).</summary>
    public static IReadOnlyList<(string Method, string Path, string Function, string AuthLevel)> MetadataRoutes(System.Text.Json.JsonElement metadata)
    {
        var levels = metadata.EnumerateArray().ToDictionary(
            f => f.GetProperty("name").GetString()!,
            f => f.GetProperty("bindings").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "httpTrigger")
                .Select(b => b.TryGetProperty("authLevel", out var level) ? level.GetString()! : "Function").FirstOrDefault() ?? "",
            StringComparer.Ordinal);
        return [.. from route in HttpRouteCaptureCheck.RoutesIn(metadata)
            from method in route.Methods ?? ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
            select (method.ToUpperInvariant(), PathOf(route.Template), route.Function, levels[route.Function])];
    }

    /// <summary>Path-item and operation parameters, operation ones winning (OpenAPI's rule), references followed.</summary>
    public IReadOnlyList<JsonObject> Parameters(DocumentedOperation operation)
    {
        var all = (operation.PathItem["parameters"]?.AsArray() ?? []).Concat(operation.Operation["parameters"]?.AsArray() ?? [])
            .Select(p => Deref(p!).AsObject())
            .ToList();
        return [.. all.GroupBy(p => (p["name"]!.GetValue<string>(), p["in"]!.GetValue<string>())).Select(g => g.Last())];
    }

    /// <summary>The response for <paramref name="status"/> with references followed, or null when it is not documented.</summary>
    public JsonObject? Response(DocumentedOperation operation, int status) =>
        operation.Operation["responses"]![status.ToString(System.Globalization.CultureInfo.InvariantCulture)] is { } response ? Deref(response).AsObject() : null;

    public JsonObject? RequestBody(DocumentedOperation operation) =>
        operation.Operation["requestBody"] is { } body ? Deref(body).AsObject() : null;

    /// <summary>A copy of <paramref name="node"/> with every local <c>$ref</c> replaced by its target (the document has no cycles).</summary>
    public JsonNode Deref(JsonNode node) => node switch
    {
        JsonObject o when o["$ref"]?.GetValue<string>() is { } reference => Deref(Pointer(reference)),
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : Deref(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(i => i is null ? null : Deref(i))]),
        _ => node.DeepClone(),
    };

    private JsonNode Pointer(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Only local references are used here: '{reference}'.");
        }

        JsonNode current = Document;
        foreach (var token in reference[2..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)))
        {
            current = current[token] ?? throw new InvalidOperationException($"Reference '{reference}' points nowhere (at '{token}').");
        }

        return current;
    }

    private static string AuthLevelOf(JsonObject operation)
    {
        var schemes = (operation["security"]?.AsArray() ?? []).SelectMany(r => r!.AsObject().Select(p => p.Key)).ToHashSet(StringComparer.Ordinal);
        return schemes.Count == 0 ? "Anonymous" : schemes.Contains("masterKey") ? "Admin" : schemes.Contains("functionKey") ? "Function" : "?";
    }
}
