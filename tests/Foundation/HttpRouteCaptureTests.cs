using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Foundation;

public sealed class HttpRouteCaptureTests
{
    [Fact]
    public async Task EveryHttpRequestReachesTheFunctionWhoseRouteItWasMadeFrom()
    {
        var problems = await HttpRouteCaptureCheck.ProblemsAsync(LoadGenerated());

        Assert.Empty(problems);
    }

    [Fact]
    public async Task CheckFailsWhenTheDispatchForwardConstraintIsRemoved()
    {
        var metadata = JsonNode.Parse(LoadGenerated().GetRawText())!.AsArray();
        var trigger = metadata.Single(f => (string?)f!["name"] == "DispatchForward")!["bindings"]!.AsArray()
            .Single(b => (string?)b!["type"] == "httpTrigger")!;
        var route = (string)trigger["route"]!;
        var unconstrained = Regex.Replace(route, @":regex\(.*\)(?=\})", "");
        Assert.NotEqual(route, unconstrained);
        trigger["route"] = unconstrained;

        var problems = await HttpRouteCaptureCheck.ProblemsAsync(JsonDocument.Parse(metadata.ToJsonString()).RootElement);

        Assert.Contains(problems, p => p.StartsWith("GET /dispatch/pools/", StringComparison.Ordinal) && p.EndsWith("(meant for GetDispatchPool) is captured by DispatchForward", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("PUT /dispatch/pools/", StringComparison.Ordinal) && p.EndsWith("(meant for PutDispatchPool) is captured by DispatchForward", StringComparison.Ordinal));
        // DeleteDispatchPool sorts before DispatchForward, so the host tries it first and it keeps its requests.
        Assert.DoesNotContain(problems, p => p.Contains("DeleteDispatchPool", StringComparison.Ordinal));
    }

    [Fact]
    public void RoutesAreInTheHostsOrderOfFunctionNamesIgnoringCase()
    {
        var metadata = JsonDocument.Parse("""
            [
              { "name": "b", "bindings": [ { "name": "req", "type": "httpTrigger", "route": "x/{id}" } ] },
              { "name": "A", "bindings": [ { "name": "req", "type": "httpTrigger", "route": "x/{*rest}" } ] },
              { "name": "C", "bindings": [ { "name": "req", "type": "httpTrigger" } ] }
            ]
            """).RootElement;

        var routes = HttpRouteCaptureCheck.RoutesIn(metadata);

        Assert.Equal(["A", "b", "C"], routes.Select(r => r.Function));
        Assert.Equal("C", routes[2].Template);
    }

    private static JsonElement LoadGenerated()
    {
        var path = Path.Combine(RepositoryPaths.FunctionsOutput, "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: build functions/Serverless.Functions.csproj first (dotnet build Serverless.sln).");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }
}
