using System.Diagnostics;
using System.Text.Json;
using Serverless.Functions.Http;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Outages;

/// <summary>What every dependency outage answer must look like, and the measurements the outage tests log.</summary>
internal static class OutageAssertions
{
    /// <summary>
    /// Far above the configured 1 s operation timeout and far below the 5 s the app stalled for before: only a guard
    /// against the old stall coming back, the cause assertions say which setting governed.
    /// </summary>
    public static readonly TimeSpan StallGuard = TimeSpan.FromSeconds(3);

    public static void IsOutage(ActionResults.Response response)
    {
        Assert.True(response.Status == 503, $"Expected 503, got {response.Status}: {response.Body}");
        Assert.True(response.IsProblem, response.ContentType);
        Assert.Equal("5", response.Headers.RetryAfter.ToString());
        Assert.Equal(503, response.Json.GetProperty("status").GetInt32());
        Assert.Equal(5, response.Json.GetProperty("retryAfterSeconds").GetInt32());
    }

    /// <summary>A health answer's entries by dependency name (<c>redis</c>, <c>storage-…</c>).</summary>
    public static Dictionary<string, JsonElement> Dependencies(ActionResults.Response health) =>
        health.Json.GetProperty("dependencies").EnumerateArray().ToDictionary(d => d.GetProperty("name").GetString()!);

    /// <summary>The exception the middleware answered 503 for, most recent first.</summary>
    public static Exception LastCause(OutageApp app)
    {
        var record = app.Logs.GetSnapshot().LastOrDefault(r => r.Category == typeof(DependencyOutageMiddleware).FullName);
        Assert.True(record?.Exception is not null, "DependencyOutageMiddleware logged no outage.");
        return record!.Exception!;
    }

    public static async Task<(T Result, TimeSpan Took)> TimedAsync<T>(string what, Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await call();
        var took = Stopwatch.GetElapsedTime(started);
        TestContext.Current.TestOutputHelper?.WriteLine($"{what}: answered in {took.TotalMilliseconds:F0} ms");
        return (result, took);
    }

    /// <summary>Repeats <paramref name="call"/> until it answers <paramref name="status"/> or <paramref name="within"/> has passed.</summary>
    public static async Task<ActionResults.Response> UntilAsync(string what, Func<Task<ActionResults.Response>> call, int status, TimeSpan within)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var response = await call();
            if (response.Status == status || Stopwatch.GetElapsedTime(started) > within)
            {
                TestContext.Current.TestOutputHelper?.WriteLine(
                    $"{what}: {response.Status} after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms");
                return response;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
