using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Serverless.Testing;

namespace Serverless.Tests.OpenApi;

/// <summary>A documented operation's example as a request: parameter examples (or values a link supplies) and the body example.</summary>
internal sealed record ExampleRequest(DocumentedOperation Operation, IReadOnlyDictionary<string, string> Route, string? Query, string? Body, IReadOnlyDictionary<string, string> Headers)
{
    public HttpRequest ToHttpRequest() =>
        ActionResults.Request(Operation.Method, Query, Body, Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase));

    /// <summary>The example of <paramref name="operation"/>; <paramref name="linked"/> (by parameter name) replaces parameter examples.</summary>
    public static ExampleRequest For(OpenApiModel model, DocumentedOperation operation, IReadOnlyDictionary<string, string> linked)
    {
        var route = new Dictionary<string, string>(StringComparer.Ordinal);
        var query = new List<string>();
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in model.Parameters(operation))
        {
            var name = parameter["name"]!.GetValue<string>();
            var value = linked.TryGetValue(name, out var fromLink) ? fromLink : Text(parameter["example"]);
            if (value is null)
            {
                if (parameter["required"]?.GetValue<bool>() == true)
                {
                    throw new InvalidOperationException($"{operation.OperationId}: required parameter '{name}' has no example.");
                }

                continue;
            }

            switch (parameter["in"]!.GetValue<string>())
            {
                case "path": route[name] = value; break;
                case "query": query.Add($"{Uri.EscapeDataString(name)}={Uri.EscapeDataString(value)}"); break;
                case "header": headers[name] = value; break;
            }
        }

        var body = model.RequestBody(operation) is { } requestBody
            ? requestBody["content"]?["application/json"]?["example"]?.ToJsonString()
                ?? throw new InvalidOperationException($"{operation.OperationId}: the JSON request body has no example.")
            : null;
        return new ExampleRequest(operation, route, query.Count == 0 ? null : string.Join("&", query), body, headers);
    }

    /// <summary>
    /// A link's runtime expression (<c>$request.path.x</c>, <c>$request.body#/p</c>, <c>$response.body#/p</c>,
    /// <c>$response.header.Name</c>) evaluated on this exchange.
    /// </summary>
    public string? Evaluate(string expression, ActionResults.Response response)
    {
        if (expression.StartsWith("$request.path.", StringComparison.Ordinal))
        {
            return Route.GetValueOrDefault(expression["$request.path.".Length..]);
        }

        if (expression.StartsWith("$response.header.", StringComparison.Ordinal))
        {
            // Header names are case-insensitive (the dictionary is too); a header the answer lacks supplies nothing.
            return response.Headers.TryGetValue(expression["$response.header.".Length..], out var values) && values.Count > 0 ? values.ToString() : null;
        }

        var (source, pointer) = expression.Split('#', 2) switch
        {
            ["$request.body", var p] => (Body, p),
            ["$response.body", var p] => (response.Body, p),
            _ => throw new InvalidOperationException($"Unsupported link expression '{expression}'."),
        };
        JsonNode? node = source is null ? null : JsonNode.Parse(source);
        foreach (var token in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node is JsonArray array && int.TryParse(token, out var index) ? array[index] : node?[token];
        }

        return Text(node);
    }

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };
}
