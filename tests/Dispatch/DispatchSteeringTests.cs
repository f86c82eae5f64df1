using Serverless.Core.Dispatch;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>Real traffic through the forwarder to real loopback backends, one of them slow.</summary>
[RedisBacked]
public sealed class DispatchSteeringTests(ServicesFixture services)
{
    [Theory(Timeout = 30_000)]
    [InlineData("least-connections")]
    [InlineData("least-response-time")]
    [InlineData("power-of-two-choices")]
    public async Task LoadAwarePoliciesSteerAwayFromASlowBackend(string policy)
    {
        await using var fast1 = await Backend.StartAsync("fast1", TimeSpan.FromMilliseconds(2));
        await using var fast2 = await Backend.StartAsync("fast2", TimeSpan.FromMilliseconds(2));
        await using var slow = await Backend.StartAsync("slow", TimeSpan.FromMilliseconds(150));
        using var app = await DispatchApp.StartAsync(services, new() { ["Dispatch:Timeout"] = "00:00:05" });
        await app.SavePoolAsync("steer", $$"""
            {"policy":"{{policy}}","targets":[{"id":"fast1","url":"{{fast1.Url}}"},{"id":"slow","url":"{{slow.Url}}"},{"id":"fast2","url":"{{fast2.Url}}"}]}
            """);
        var remaining = 120;

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var result = await app.Forwarder.ForwardAsync(new ForwardRequest("steer", "GET", "/", [], default), TestContext.Current.CancellationToken);
                Assert.Equal(200, result.StatusCode);
            }
        }, TestContext.Current.CancellationToken)));

        // Round robin would give the slow backend a third (40 of 120).
        var total = fast1.Requests + fast2.Requests + slow.Requests;
        Assert.Equal(120, total);
        Assert.True(slow.Requests <= 15, $"{policy}: slow backend got {slow.Requests} of {total} (fast1 {fast1.Requests}, fast2 {fast2.Requests})");
    }
}
