using System.Reflection;
using System.Text.Json;
using Serverless.EndToEnd.Host;
using Serverless.Testing;
using Xunit;

namespace Serverless.EndToEnd.Foundation;

public sealed class HostTests(HostFixture fixture)
{
    [RedisBacked]
    [Fact(Timeout = 60_000)]
    [Covers("Health")]
    public async Task HealthAnswers200WithEveryDependencyUp()
    {
        using var client = fixture.Client(key: false);

        var health = await Answer.SendAsync(client, HttpMethod.Get, "health");

        Assert.Equal(200, health.Status);
        Assert.True(health.Json.GetProperty("ok").GetBoolean(), health.Body);
        Assert.All(health.Json.GetProperty("dependencies").EnumerateArray(), d => Assert.True(d.GetProperty("ok").GetBoolean(), d.ToString()));
        // Figures for the record (they land in the test output of the trx), not assertions.
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"Host ({fixture.Host.How}): start-up to first 200 {fixture.StartUpTime.TotalSeconds:F1} s; RSS host {ProcessMemory.ResidentMiB(fixture.Host.ProcessId):F0} MiB, " +
            $"worker {ProcessMemory.ChildrenResidentMiB(fixture.Host.ProcessId):F0} MiB");
    }

    [Fact]
    public void EveryFunctionIsIndexedByTheHost()
    {
        Assert.True(fixture.Host.IndexingErrors.Count == 0, "The host disabled functions at indexing:\n" + string.Join('\n', fixture.Host.IndexingErrors));
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(FunctionLevelRoutes))]
    public async Task FunctionAndAdminLevelRoutesAnswer401WithoutAKey(string function, string method, string path)
    {
        using var client = fixture.Client(key: false);

        var answer = await Answer.SendAsync(client, new HttpMethod(method), path, method is "POST" or "PUT" or "PATCH" ? "{}" : null);

        Assert.True(answer.Status == 401, $"{function}: {method} {path} without a key answered {answer}");
    }

    [Fact(Timeout = 60_000)]
    public async Task AWrongKeyIsRefusedLikeNoKey()
    {
        using var client = fixture.Client(key: false);

        var answer = await Answer.SendAsync(client, HttpMethod.Get, "counters/x", headers: new Dictionary<string, string> { ["x-functions-key"] = "wrong" });

        Assert.Equal(401, answer.Status);
    }

    /// <summary>
    /// A new HTTP route, queue trigger or timer without an end-to-end scenario fails here: a function only the host can
    /// break (a binding, a route order, a setting) must be driven through it.
    /// </summary>
    [Fact]
    public void EveryHttpRouteQueueTriggerAndTimerHasAnEndToEndScenario()
    {
        var covered = typeof(HostTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetCustomAttributes<CoversAttribute>())
            .SelectMany(c => c.Functions)
            .ToHashSet(StringComparer.Ordinal);

        var missing = HostMetadata.Functions()
            .Where(f => f.Trigger is "httpTrigger" or "queueTrigger" or "timerTrigger")
            .Select(f => f.Name)
            .Where(name => !covered.Contains(name))
            .ToList();

        Assert.True(missing.Count == 0, $"No end-to-end scenario [Covers] these functions: {string.Join(", ", missing)}");
        Assert.Empty(covered.Except(HostMetadata.Functions().Select(f => f.Name)));
    }

    public static TheoryData<string, string, string> FunctionLevelRoutes()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var f in HostMetadata.Functions().Where(f => f.Trigger == "httpTrigger" && f.AuthLevel is "Function" or "Admin"))
        {
            data.Add(f.Name, f.Methods[0].ToUpperInvariant(), HostMetadata.SamplePath(f.Route!));
        }

        return data;
    }
}

/// <summary>The functions the build generated for the host (functions.metadata), with their trigger bindings.</summary>
public static class HostMetadata
{
    public sealed record Function(string Name, string Trigger, string? AuthLevel, IReadOnlyList<string> Methods, string? Route);

    public static IReadOnlyList<Function> Functions()
    {
        var path = Path.Combine(RepositoryPaths.FunctionsOutput, "functions.metadata");
        using var metadata = JsonDocument.Parse(File.ReadAllText(path));
        return metadata.RootElement.EnumerateArray().Select(f =>
        {
            var trigger = f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
            return new Function(
                f.GetProperty("name").GetString()!,
                trigger.GetProperty("type").GetString()!,
                trigger.TryGetProperty("authLevel", out var a) ? a.GetString() : null,
                trigger.TryGetProperty("methods", out var m) ? m.EnumerateArray().Select(x => x.GetString()!).ToList() : [],
                trigger.TryGetProperty("route", out var r) ? r.GetString() : null);
        }).ToList();
    }

    /// <summary>A concrete path for a route template: every parameter becomes a plain sample value.</summary>
    public static string SamplePath(string route) =>
        System.Text.RegularExpressions.Regex.Replace(route, @"\{\*?(\w+)[^}]*\}", m => m.Groups[1].Value switch
        {
            "backend" => "redis",
            "action" => "acquire",
            var name => $"sample-{name}",
        });
}
