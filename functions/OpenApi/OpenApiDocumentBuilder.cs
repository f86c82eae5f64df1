using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Core.Operability;

namespace Serverless.Functions.OpenApi;

/// <summary>
/// Builds the OpenAPI 3.1 document from <c>OpenApi/openapi.base.json</c> plus one fragment per feature
/// (<c>OpenApi/Paths/*.json</c>, embedded in this assembly), so adding a route is adding its operation to its feature's
/// fragment. A fragment operation says <c>x-function</c> (the function name) and <c>x-auth</c>
/// (<c>anonymous</c>, <c>function</c> or <c>admin</c>); from those this fills in <c>operationId</c>, <c>security</c>
/// and the 400/503 problem answers every route can give. An operation may be a <c>$ref</c> to
/// <c>#/components/x-operations/…</c> (one function on several methods); the copies replace the reference.
/// </summary>
public static class OpenApiDocumentBuilder
{
    private const string ResourcePrefix = "openapi/";
    private const string SharedOperations = "x-operations";
    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
    private static readonly Lazy<string> Cached = new(() => Write(Build()));

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        NewLine = "\n",
        // Descriptions hold quotes and '<id>'; the document is served as application/json, never inlined into HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The document as served and kept in <c>docs/openapi.json</c>.</summary>
    public static string Text => Cached.Value;

    /// <summary>Merges the base document with every fragment, in fragment file name order.</summary>
    public static JsonObject Build()
    {
        var assembly = typeof(OpenApiDocumentBuilder).Assembly;
        var document = Read(ResourcePrefix + "openapi.base.json");
        var fragments = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix + "paths/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var name in fragments)
        {
            OpenApiFragments.Merge(document, Read(name), name);
        }

        var components = document["components"]!.AsObject();
        var shared = components[SharedOperations]?.AsObject() ?? [];
        var operations = document["paths"]!.AsObject()
            .SelectMany(path => Methods.Where(path.Value!.AsObject().ContainsKey).Select(m => (Item: path.Value!.AsObject(), Method: m)))
            .ToList();
        foreach (var (item, method) in operations)
        {
            item[method] = OpenApiFragments.Resolve(item[method]!.AsObject(), shared, SharedOperations);
        }

        var functionUses = operations.GroupBy(o => Function(o.Item[o.Method]!)).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var (item, method) in operations)
        {
            var operation = item[method]!.AsObject();
            var function = Function(operation);
            var id = functionUses[function] == 1 ? function : function + char.ToUpperInvariant(method[0]) + method[1..];
            item[method] = OpenApiFragments.Complete(operation, id);
        }

        components.Remove(SharedOperations);
        return document;
    }

    private static string Function(JsonNode operation) =>
        operation["x-function"]?.GetValue<string>() ?? throw new InvalidOperationException($"An operation lacks x-function (its summary: {operation["summary"]}).");

    private static string Write(JsonObject document) => document.ToJsonString(Indented) + "\n";

    private static JsonObject Read(string resource)
    {
        using var stream = typeof(OpenApiDocumentBuilder).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded OpenAPI resource '{resource}' is missing.");
        return JsonNode.Parse(stream)!.AsObject();
    }
}
