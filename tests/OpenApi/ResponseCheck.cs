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

    private static string Short(string body) => body.Length > 300 ? body[..300] + "…" : body;
}
