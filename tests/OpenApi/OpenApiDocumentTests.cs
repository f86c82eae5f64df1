using System.Text.Json;
using Microsoft.OpenApi;
using Serverless.Functions.OpenApi;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.OpenApi;

/// <summary>The OpenAPI document against functions.metadata, the OpenAPI 3.1 specification and its kept copy in docs/.</summary>
public sealed class OpenApiDocumentTests
{
    [Fact(Timeout = 10_000)]
    public void EveryHttpRouteIsDocumentedWithItsAuthLevelAndNothingElseIs()
    {
        using var metadata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepositoryPaths.FunctionsOutput, "functions.metadata")));
        var routes = OpenApiModel.MetadataRoutes(metadata.RootElement).Select(r => $"{r.Method} {r.Path} -> {r.Function} ({r.AuthLevel})").ToHashSet(StringComparer.Ordinal);
        var documented = OpenApiModel.Generated.Operations.Select(o => $"{o.Method} {o.Path} -> {o.Function} ({o.AuthLevel})").ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(routes);
        var missing = routes.Except(documented).Order(StringComparer.Ordinal).ToList();
        var extra = documented.Except(routes).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"Routes in functions.metadata missing from functions/OpenApi/Paths/*.json (or documented with another auth level):\n  {string.Join("\n  ", missing)}\n" +
            $"Documented operations no function serves:\n  {string.Join("\n  ", extra)}");
    }

    [Fact(Timeout = 10_000)]
    public void DocumentIsValidOpenApi31()
    {
        var read = OpenApiDocument.Parse(OpenApiDocumentBuilder.Text, "json");
        var errors = read.Diagnostic?.Errors.Select(e => $"{e.Pointer}: {e.Message}").ToList() ?? [];
        errors.AddRange(read.Document?.Validate(ValidationRuleSet.GetDefaultRuleSet())?.Select(e => $"{e.Pointer}: {e.Message}") ?? []);

        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, read.Diagnostic?.SpecificationVersion);
        Assert.NotNull(read.Document);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal(OpenApiModel.Generated.Operations.Count, read.Document.Paths.Sum(p => p.Value.Operations?.Count ?? 0));
    }

    [Fact(Timeout = 10_000)]
    public void OperationIdsAreUniqueAndEveryLinkNamesOne()
    {
        var operations = OpenApiModel.Generated.Operations;
        var ids = operations.Select(o => o.OperationId).ToList();
        var links = operations
            .SelectMany(o => (o.Operation["responses"]!.AsObject()).Select(r => OpenApiModel.Generated.Deref(r.Value!)))
            .SelectMany(r => r["links"]?.AsObject().Select(l => l.Value!["operationId"]!.GetValue<string>()) ?? [])
            .ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.NotEmpty(links);
        Assert.Empty(links.Except(ids, StringComparer.Ordinal));
    }

    [Fact(Timeout = 10_000)]
    public void AnswersOutsideTheDocumentAreReported()
    {
        var model = OpenApiModel.Generated;
        var health = model.Operations.Single(o => o.Function == "Health");
        static ActionResults.Response Answer(int status, string contentType, string body) => new(status, contentType, body, new Microsoft.AspNetCore.Http.HeaderDictionary());

        Assert.Empty(ResponseCheck.Problems(model, health, Answer(200, "application/json; charset=utf-8", """{"ok":true,"dependencies":[]}""")));
        Assert.Contains("not valid for its schema", Assert.Single(ResponseCheck.Problems(model, health, Answer(200, "application/json", """{"ok":"yes","dependencies":[]}"""))), StringComparison.Ordinal);
        Assert.Contains("not documented", Assert.Single(ResponseCheck.Problems(model, health, Answer(418, "application/problem+json", "{}"))), StringComparison.Ordinal);
        Assert.Contains("as 'text/plain'", Assert.Single(ResponseCheck.Problems(model, health, Answer(400, "text/plain", "bad"))), StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public void KeptDocumentIsTheGeneratedOne() =>
        KeptFile.AssertCurrent("docs/openapi.json", OpenApiDocumentBuilder.Text, nameof(OpenApiDocumentTests));

    [Fact(Timeout = 10_000)]
    public async Task FunctionServesTheGeneratedDocument()
    {
        var response = await ActionResults.ExecuteAsync(new OpenApiFunction().Get(ActionResults.Request()));

        Assert.Equal(200, response.Status);
        Assert.StartsWith("application/json", response.ContentType, StringComparison.Ordinal);
        Assert.Equal(OpenApiDocumentBuilder.Text, response.Body);
    }
}
