using Serverless.Functions.Status;
using Serverless.Testing;
using Serverless.Tests.Outages;
using Xunit;

namespace Serverless.Tests.Status;

/// <summary>
/// The operator's page during an outage: it is what one opens then, so a dependency it cannot read becomes a line on
/// the page (the rest still shows) rather than the 503 every other route answers.
/// </summary>
public sealed class StatusPageOutageTests(ServicesFixture services)
{
    [Fact(Timeout = 60_000)]
    public async Task WithRedisDownThePageStillLoadsAndSaysThePoolsCouldNotBeRead()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var redis = await OwnRedisServer.StartAsync();
        using var app = await OutageApp.StartAsync(services, redis);
        var started = clock.Elapsed;
        await redis.StopAsync();
        var stopped = clock.Elapsed;

        var request = ActionResults.Request();
        var page = await app.CallAsync(request, () => app.Create<StatusFunction>().Get(request, ct));
        TestContext.Current.TestOutputHelper!.WriteLine($"app up {started.TotalSeconds:0.0} s, Redis stopped {stopped.TotalSeconds:0.0} s, page read {clock.Elapsed.TotalSeconds:0.0} s");

        Assert.True(page.Status == 200, page.Body);
        Assert.Contains("Could not read dispatch pools (Redis)", page.Body, StringComparison.Ordinal);
        Assert.Contains("<section id=\"queues\">", page.Body, StringComparison.Ordinal);
        Assert.Contains("<section id=\"meters\">", page.Body, StringComparison.Ordinal);
    }
}
