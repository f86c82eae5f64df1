using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Sessions;
using Serverless.Testing;
using Xunit;
using static Serverless.Tests.Sessions.SessionApp;

namespace Serverless.Tests.Sessions;

[RedisBacked]
public sealed class SessionStoreTests(ServicesFixture services)
{
    /// <summary>The seed stored one JSON blob per session and lost all but one of these concurrent updates.</summary>
    [Fact(Timeout = 15_000)]
    public async Task FiftyConcurrentWritersOfDifferentAttributesAllLand()
    {
        using var app = await StartAsync(services);
        var id = (await app.Store.CreateAsync(null)).Session!.Id;

        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => app.Store.UpdateAsync(id, Attributes(($"attr{i}", i))))));

        var session = (await app.Store.GetAsync(id)).Session!;
        Assert.Equal(50, session.Attributes.Count);
        Assert.All(Enumerable.Range(0, 50), i => Assert.Equal(i, session.Attributes[$"attr{i}"].GetInt32()));
        Assert.Equal(51, session.Version);
    }

    [Fact(Timeout = 15_000)]
    public async Task CompareAndSetLetsExactlyOneOfTwoWritersWithTheSameVersionWin()
    {
        using var app = await StartAsync(services);
        var created = (await app.Store.CreateAsync(null, Attributes(("cart", 0)))).Session!;

        var results = await Task.WhenAll(
            Task.Run(() => app.Store.UpdateAsync(created.Id, Attributes(("cart", 1)), created.Version)),
            Task.Run(() => app.Store.UpdateAsync(created.Id, Attributes(("cart", 2)), created.Version)));

        Assert.Single(results, r => r.Status == SessionStatus.Ok);
        Assert.Single(results, r => r.Status == SessionStatus.VersionMismatch);
        var winner = results.Single(r => r.Status == SessionStatus.Ok).Session!.Version;
        Assert.Equal(created.Version + 1, winner);
    }

    [Fact(Timeout = 15_000)]
    public async Task EveryAccessSlidesTheIdleExpiry()
    {
        // Generous margins: the machine running CI is shared and slow.
        using var app = await StartAsync(services, new() { ["Sessions:IdleTimeout"] = "00:00:01.500" });
        var id = (await app.Store.CreateAsync(null)).Session!.Id;

        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(500, TestContext.Current.CancellationToken);
            Assert.Equal(SessionStatus.Ok, (await app.Store.GetAsync(id)).Status);
        }

        await Task.Delay(2_500, TestContext.Current.CancellationToken);
        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(id)).Status);
    }

    [Fact(Timeout = 15_000)]
    public async Task AbsoluteLifetimeIsNeverExceededHoweverActive()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = await StartAsync(services, new() { ["Sessions:IdleTimeout"] = "00:10:00", ["Sessions:AbsoluteLifetime"] = "00:30:00" }, clock);
        var created = (await app.Store.CreateAsync("ada")).Session!;

        for (var minute = 5; minute < 30; minute += 5)
        {
            clock.Advance(TimeSpan.FromMinutes(5));
            var touched = (await app.Store.TouchAsync(created.Id)).Session!;
            Assert.True(touched.ExpiresAt <= created.AbsoluteExpiresAt);
            var ttl = await app.Database.KeyTimeToLiveAsync((await app.KeysAsync()).Single(k => k.Contains(":sess:", StringComparison.Ordinal)));
            // Redis keeps milliseconds; the fake clock has ticks below that.
            var untilDeadline = created.AbsoluteExpiresAt - clock.GetUtcNow() + TimeSpan.FromMilliseconds(1);
            Assert.True(ttl <= untilDeadline, $"TTL {ttl} outlives the absolute deadline ({untilDeadline}) at minute {minute}");
        }

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(created.Id)).Status);
        Assert.Empty(await app.KeysAsync());
    }

    [Fact(Timeout = 15_000)]
    public async Task RotateKillsTheOldIdAtOnceAndKeepsTheData()
    {
        using var app = await StartAsync(services);
        var old = (await app.Store.CreateAsync("ada", Attributes(("role", "admin")))).Session!;

        var rotated = (await app.Store.RotateAsync(old.Id)).Session!;

        Assert.NotEqual(old.Id, rotated.Id);
        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(old.Id)).Status);
        var current = (await app.Store.GetAsync(rotated.Id)).Session!;
        Assert.Equal("admin", current.Attributes["role"].GetString());
        Assert.Equal("ada", current.Principal);
        Assert.Equal(old.AbsoluteExpiresAt, current.AbsoluteExpiresAt);
        Assert.Equal(1, await app.Store.RevokeAllAsync("ada"));
    }

    [Fact(Timeout = 15_000)]
    public async Task RevokeAllEndsEverySessionOfThePrincipalAndNoOneElses()
    {
        using var app = await StartAsync(services);
        var adas = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => app.Store.CreateAsync("ada")));
        var bob = (await app.Store.CreateAsync("bob")).Session!;

        var revoked = await app.Store.RevokeAllAsync("ada");

        Assert.Equal(3, revoked);
        foreach (var ada in adas)
        {
            Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(ada.Session!.Id)).Status);
        }

        Assert.Equal(SessionStatus.Ok, (await app.Store.GetAsync(bob.Id)).Status);
    }

    [Fact(Timeout = 15_000)]
    public async Task PrincipalAtTheLimitLosesItsOldestSessionWhenPolicyIsEvict()
    {
        using var app = await StartAsync(services, new() { ["Sessions:MaxSessionsPerPrincipal"] = "2", ["Sessions:PrincipalLimitPolicy"] = "EvictOldest" });
        var first = (await app.Store.CreateAsync("ada")).Session!;
        var second = (await app.Store.CreateAsync("ada")).Session!;

        var third = await app.Store.CreateAsync("ada");

        Assert.Equal(SessionStatus.Ok, third.Status);
        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(first.Id)).Status);
        Assert.Equal(SessionStatus.Ok, (await app.Store.GetAsync(second.Id)).Status);
    }

    [Fact(Timeout = 15_000)]
    public async Task PrincipalAtTheLimitIsRefusedWhenPolicyIsReject()
    {
        using var app = await StartAsync(services, new() { ["Sessions:MaxSessionsPerPrincipal"] = "2", ["Sessions:PrincipalLimitPolicy"] = "Reject" });
        var first = (await app.Store.CreateAsync("ada")).Session!;
        await app.Store.CreateAsync("ada");

        var third = await app.Store.CreateAsync("ada");

        Assert.Equal(SessionStatus.PrincipalLimitReached, third.Status);
        Assert.Equal(SessionStatus.Ok, (await app.Store.GetAsync(first.Id)).Status);
        Assert.Equal(3, (await app.KeysAsync()).Count); // two sessions + the principal index, nothing more
    }

    [Fact(Timeout = 15_000)]
    public async Task ExpiredSessionsNoLongerCountAgainstThePrincipalLimit()
    {
        using var app = await StartAsync(services, new()
        {
            ["Sessions:MaxSessionsPerPrincipal"] = "1", ["Sessions:PrincipalLimitPolicy"] = "Reject", ["Sessions:IdleTimeout"] = "00:00:00.300",
        });
        await app.Store.CreateAsync("ada");
        await Task.Delay(600, TestContext.Current.CancellationToken);

        Assert.Equal(SessionStatus.Ok, (await app.Store.CreateAsync("ada")).Status);
    }

    [Fact(Timeout = 15_000)]
    public async Task RedisKeysDoNotRevealUsableSessionIds()
    {
        using var app = await StartAsync(services);
        var id = (await app.Store.CreateAsync("ada")).Session!.Id;

        var keys = await app.KeysAsync();

        Assert.NotEmpty(keys);
        Assert.DoesNotContain(keys, k => k.Contains(id, StringComparison.Ordinal));
        Assert.Contains(keys, k => k.Contains(SessionId.Handle(id), StringComparison.Ordinal));
    }

    [Fact(Timeout = 15_000)]
    public async Task RemovedAttributeIsGoneAndOthersStay()
    {
        using var app = await StartAsync(services);
        var id = (await app.Store.CreateAsync(null, Attributes(("a", 1), ("b", 2)))).Session!.Id;

        await app.Store.RemoveAttributeAsync(id, "a");

        var session = (await app.Store.GetAsync(id)).Session!;
        Assert.Equal(["b"], session.Attributes.Keys);
        var one = (await app.Store.GetAttributeAsync(id, "b")).Session!;
        Assert.Equal(2, one.Attributes["b"].GetInt32());
    }
}
