using Serverless.EndToEnd.Host;
using Xunit;

namespace Serverless.EndToEnd.Counters;

public sealed class CounterEndToEndTests(HostFixture fixture)
{
    [Fact(Timeout = 120_000)]
    [Covers("AddToCounter", "GetCounter")]
    public async Task AddsSignalledToTheCounterEntityAreAllApplied()
    {
        using var client = fixture.Client();
        var name = $"e2e-{Guid.NewGuid():N}"[..16];
        Assert.Equal(404, (await Answer.SendAsync(client, HttpMethod.Get, $"counters/{name}")).Status);

        foreach (var amount in new[] { 5, 7, -2 })
        {
            var added = await Answer.SendAsync(client, HttpMethod.Post, $"counters/{name}/add", new { amount });
            Assert.True(added.Status == 202, added.ToString());
        }

        var counter = await Eventually.GetAsync(() => Answer.SendAsync(client, HttpMethod.Get, $"counters/{name}"),
            a => a.Status == 200 && a.Json.GetProperty("value").GetInt64() == 10, TimeSpan.FromSeconds(60), $"counter {name} reaches 10");
        Assert.Equal(name, counter.Json.GetProperty("name").GetString());
    }
}
