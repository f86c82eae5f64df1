using System.Text.Json;
using Json.Schema;
using Serverless.Testing;

namespace Serverless.Tests.OpenApi;

/// <summary>Judges an answer against the document: its status must be documented, its content type listed, its JSON valid for the schema.</summary>
internal static class ResponseCheck
{
    public static IEnumerable<string> Problems(OpenApiModel model, DocumentedOperation operation, ActionResults.Response response)
    {
        if (model.Response(operation, response.Status) is not { } documented)
        {
            yield return $"answered {response.Status}, which is not documented: {Short(response.Body)}";
            yield break;
        }

        foreach (var problem in HeaderProblems(documented, response))
        {
            yield return problem;
        }

        if (documented["content"]?.AsObject() is not { } content)
        {
            if (response.Body.Length > 0)
            {
                yield return $"answered {response.Status} with a body, but the document says it has none";
            }

            yield break;
        }

        var mediaType = (response.ContentType ?? "").Split(';')[0].Trim();
        var media = content[mediaType] ?? content["*/*"];
        if (media is null)
        {
            yield return $"answered {response.Status} as '{mediaType}'; documented: {string.Join(", ", content.Select(c => c.Key))}";
            yield break;
        }

        if (!mediaType.EndsWith("json", StringComparison.Ordinal) || media["schema"] is not { } schemaNode)
        {
            yield break;
        }

        var schema = JsonSchema.FromText(model.Deref(schemaNode).ToJsonString());
        using var body = JsonDocument.Parse(response.Body);
        var result = schema.Evaluate(body.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!result.IsValid)
        {
            var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} {e.Key}: {e.Value}"));
            yield return $"answered {response.Status}, not valid for its schema: {string.Join("; ", errors.Take(5))} in {Short(response.Body)}";
        }
    }

    /// <summary>A header the document marks required must be sent; a documented header that is sent must fit its schema.</summary>
    private static IEnumerable<string> HeaderProblems(System.Text.Json.Nodes.JsonObject documented, ActionResults.Response response)
    {
        foreach (var (name, header) in documented["headers"]?.AsObject() ?? [])
        {
            if (!response.Headers.TryGetValue(name, out var values) || values.Count == 0)
            {
                if (header!["required"]?.GetValue<bool>() == true)
                {
                    yield return $"answered {response.Status} without its required header {name}";
                }

                continue;
            }

            if (header!["schema"] is not { } schemaNode)
            {
                continue;
            }

            // A header value is text; an integer-typed header is judged as the number it spells.
            var text = values.ToString();
            var value = schemaNode["type"]?.GetValue<string>() == "integer" && long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number)
                ? JsonSerializer.SerializeToElement(number)
                : JsonSerializer.SerializeToElement(text);
            if (!JsonSchema.FromText(schemaNode.ToJsonString()).Evaluate(value).IsValid)
            {
                yield return $"answered {response.Status} with header {name}: {text}, not valid for its schema {schemaNode.ToJsonString()}";
            }
        }
    }

    private static string Short(string body) => body.Length > 300 ? body[..300] + "…" : body;
}
