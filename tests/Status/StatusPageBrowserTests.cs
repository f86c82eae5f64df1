using System.Diagnostics.Metrics;
using Serverless.Core.Dispatch;
using Serverless.Functions.Status;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Status;

/// <summary>The status function's page loaded over HTTP in real headless Chromium, with a seeded pool and a live meter.</summary>
[RedisBacked]
public sealed class StatusPageBrowserTests(ServicesFixture services)
{
    [Fact(Timeout = 120_000)]
    public async Task PageLoadsInChromiumShowingASeededPoolsTargetsAndMeterTotals()
    {
        var ct = TestContext.Current.CancellationToken;
        var browser = HeadlessChromium.Path;
        using var app = await StatusApp.StartAsync(services);
        var pool = "status-" + Guid.NewGuid().ToString("N")[..8];
        await app.Get<DispatchStore>().SaveAsync(pool, new PoolDefinition(DispatchPolicy.WeightedRoundRobin,
        [
            new PoolTarget("blue", TargetKind.Http, "https://blue.internal.example", 3),
            new PoolTarget("green", TargetKind.Http, "https://green.internal.example", 1),
        ], "/health"));
        using var meter = new Meter("Serverless.Tests.StatusPage." + pool);
        meter.CreateCounter<long>("status.test.requests", "{request}", "Requests the test counted").Add(42);
        await using var server = await PageServer.StartAsync(request => app.Create<StatusFunction>().Get(request, ct));
        var url = server.Url + "/api/status";

        var dom = await HeadlessChromium.DumpDomAsync(url, ct);
        var screenshot = Path.Combine(RepositoryPaths.Root, "TestResults", "status-page.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        File.Delete(screenshot);
        await HeadlessChromium.ScreenshotAsync(url, screenshot, 1280, 900, ct);
        TestContext.Current.TestOutputHelper!.WriteLine($"status page screenshot ({browser}): {screenshot}");

        Assert.Contains("<title>Serverless status</title>", dom, StringComparison.Ordinal);
        Assert.Contains(pool, dom, StringComparison.Ordinal);
        Assert.Contains("https://blue.internal.example", dom, StringComparison.Ordinal);
        Assert.Contains("https://green.internal.example", dom, StringComparison.Ordinal);
        Assert.Contains("weighted-round-robin", dom, StringComparison.Ordinal);
        Assert.Contains("status.test.requests", dom, StringComparison.Ordinal);
        Assert.Contains("<td class=\"n\">42</td>", dom, StringComparison.Ordinal);
        var png = await File.ReadAllBytesAsync(screenshot, ct);
        Assert.True(png.Length > 1000 && png[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), $"{screenshot} is not a PNG");
    }

    private sealed class StatusApp(Microsoft.Extensions.Hosting.IHost host, string prefix) : TestApp(host, prefix)
    {
        public static async Task<StatusApp> StartAsync(ServicesFixture services)
        {
            var prefix = NewPrefix();
            var host = await StartHostAsync(services, prefix, new Dictionary<string, string?> { ["Dispatch:AllowedHosts:0"] = "*.internal.example" });
            return new StatusApp(host, prefix);
        }
    }
}
