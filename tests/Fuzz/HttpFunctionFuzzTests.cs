using System.Text.Json;
using Serverless.Core.Search.Caching;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Fuzz;

/// <summary>
/// Sends every HTTP function of functions.metadata generated malformed route values, query strings, headers and bodies
/// in-process, against real Redis and Azurite: malformed input must be a 4xx problem+json that writes nothing to
/// Redis, and nothing may throw or answer 5xx.
/// </summary>
[RedisBacked]
public sealed class HttpFunctionFuzzTests(ServicesFixture services)
{
    public static TheoryData<string> Functions => [.. FuzzDrivers.All.Keys.Order(StringComparer.Ordinal)];

    [Fact(Timeout = 10_000)]
    public void EveryHttpFunctionInTheMetadataHasAFuzzDriver()
    {
        var path = Path.Combine(RepositoryPaths.FunctionsOutput, "functions.metadata");
        using var metadata = JsonDocument.Parse(File.ReadAllBytes(path));
        var http = metadata.RootElement.EnumerateArray()
            .Where(f => f.GetProperty("bindings").EnumerateArray().Any(b => b.GetProperty("type").GetString() == "httpTrigger"))
            .Select(f => f.GetProperty("name").GetString()!)
            .ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(http);
        Assert.Empty(http.Except(FuzzDrivers.All.Keys).Order(StringComparer.Ordinal));
        Assert.Empty(FuzzDrivers.All.Keys.Except(http).Order(StringComparer.Ordinal));
    }

    [Theory(Timeout = 240_000)]
    [MemberData(nameof(Functions))]
    public async Task MalformedInputIsRefusedWith4xxProblemAndNothingFails(string function)
    {
        var driver = FuzzDrivers.All[function];
        using var app = await FuzzApp.StartAsync(services, TestContext.Current.CancellationToken);
        var failures = new List<string>();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var cases = FuzzCases.For(driver).ToList();
        var valid = "";
        foreach (var fuzz in cases)
        {
            if (fuzz.MustReject)
            {
                // Earlier valid searches leave hot-query counts that the background sync flushes every 250 ms; flush
                // them now, so a key they create is not charged to the refused case that follows.
                await app.Get<HotQueries>().FlushAsync();
            }

            var before = fuzz.MustReject ? await app.KeysAsync() : null;
            var outcome = await FuzzRun.OnceAsync(app, driver, fuzz);
            counts[outcome.Kind] = counts.GetValueOrDefault(outcome.Kind) + 1;
            valid = fuzz == cases[0] ? outcome.Kind : valid;
            if (outcome.Failure is { } failure)
            {
                failures.Add($"{fuzz.Label}: {failure}");
            }
            else if (before is not null && (await app.KeysAsync()).Except(before).ToList() is { Count: > 0 } written)
            {
                failures.Add($"{fuzz.Label}: refused, but wrote {string.Join(", ", written.Take(3))}");
            }
        }

        TestContext.Current.TestOutputHelper!.WriteLine(
            $"fuzz {function}: {cases.Count} cases, {cases.Count(c => c.MustReject)} must be refused; answers: {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} x{c.Value}"))}; valid request: {valid}");
        Assert.True(failures.Count == 0, $"{function}: {failures.Count} of {cases.Count} cases failed:\n{string.Join("\n", failures.Take(40))}");
    }
}
