using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Sessions;
using Serverless.Testing;
using Xunit;
using static Serverless.Tests.Sessions.SessionApp;

namespace Serverless.Tests.Sessions;

/// <summary>The hot read path: a plain HGETALL while the last slide is fresh, the script once a slide is due.</summary>
[RedisBacked]
public sealed class SessionReadPathTests(ServicesFixture services)
{
    [Fact(Timeout = 15_000)]
    public async Task ReadsWithinTheRefreshWindowLeaveTheExpiryAloneAndTheFirstReadAfterItSlides()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = await StartAsync(services, new() { ["Sessions:IdleTimeout"] = "00:10:00" }, clock);
        var created = (await app.Store.CreateAsync(null)).Session!;
        var key = (await app.KeysAsync()).Single(k => k.Contains(":sess:", StringComparison.Ordinal));

        clock.Advance(TimeSpan.FromMilliseconds(200));
        var fresh = (await app.Store.GetAsync(created.Id)).Session!;
        var lastAfterFresh = (long)await app.Database.HashGetAsync(key, "m:last");
        clock.Advance(TimeSpan.FromSeconds(5));
        var slid = (await app.Store.GetAsync(created.Id)).Session!;
        var lastAfterSlide = (long)await app.Database.HashGetAsync(key, "m:last");

        Assert.Equal(created.LastAccessAt, fresh.LastAccessAt);
        Assert.Equal(created.LastAccessAt.ToUnixTimeMilliseconds(), lastAfterFresh);
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), slid.LastAccessAt.ToUnixTimeMilliseconds());
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), lastAfterSlide);
        Assert.Equal(slid.LastAccessAt + TimeSpan.FromMinutes(10), slid.ExpiresAt);
    }

    [Fact(Timeout = 15_000)]
    public async Task EveryKindOfJsonValueComesBackAsStoredFromBothReadPaths()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = await StartAsync(services, new() { ["Sessions:IdleTimeout"] = "00:10:00" }, clock);
        var values = new Dictionary<string, JsonElement>
        {
            ["text"] = JsonSerializer.SerializeToElement("蓝牙 \"quoted\" \\ é"),
            ["number"] = JsonSerializer.SerializeToElement(12.5),
            ["flag"] = JsonSerializer.SerializeToElement(true),
            ["cart"] = JsonSerializer.SerializeToElement(new { items = new[] { 1, 2 }, note = (string?)null }),
        };
        var id = (await app.Store.CreateAsync("ada", values)).Session!.Id;

        var fast = (await app.Store.GetAsync(id)).Session!;
        clock.Advance(TimeSpan.FromSeconds(5));
        var scripted = (await app.Store.GetAsync(id)).Session!;

        foreach (var read in new[] { fast, scripted })
        {
            Assert.Equal(values.Keys.Order(), read.Attributes.Keys.Order());
            Assert.All(values, v => Assert.Equal(v.Value.GetRawText(), read.Attributes[v.Key].GetRawText()));
            Assert.Equal("ada", read.Principal);
            Assert.Equal(1, read.Version);
        }
    }
}
