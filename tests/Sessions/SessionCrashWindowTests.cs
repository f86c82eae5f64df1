using Serverless.Core.Sessions;
using Serverless.Tests.Redis;
using Serverless.Testing;
using Xunit;
using static Serverless.Tests.Sessions.SessionApp;

namespace Serverless.Tests.Sessions;

/// <summary>
/// A session and its principal's index are separate aggregates (different cluster slots), so create, rotate, delete
/// and revoke take several steps. Each test stops an operation after one step, as a dying process would, and checks
/// the invariant: every session whose id was handed out is reached by revoking its principal, and nothing half done
/// keeps a principal from signing in.
/// </summary>
public sealed class SessionCrashWindowTests(ServicesFixture services)
{
    private static readonly Dictionary<string, string?> OneSessionRejecting = new()
    {
        ["Sessions:MaxSessionsPerPrincipal"] = "1", ["Sessions:PrincipalLimitPolicy"] = "Reject",
    };

    private static readonly Dictionary<string, string?> OneSessionEvicting = new()
    {
        ["Sessions:MaxSessionsPerPrincipal"] = "1", ["Sessions:PrincipalLimitPolicy"] = "EvictOldest",
    };

    [Fact(Timeout = 15_000)]
    public async Task CreateStoppedBeforeTheIndexHandsOutNothingAndDoesNotCountAgainstTheLimit()
    {
        using var app = await StartAsync(services, OneSessionRejecting);
        app.Store.BetweenSteps = StopAt.Step(SessionSteps.CreateWritten);

        await Assert.ThrowsAsync<SimulatedCrashException>(() => app.Store.CreateAsync("ada"));
        app.Store.BetweenSteps = null;

        // The orphan is unknown to anyone and expires with the idle timeout.
        var orphan = Assert.Single(await app.KeysAsync(), k => k.Contains(":sess:", StringComparison.Ordinal));
        Assert.True(await app.Database.KeyTimeToLiveAsync(orphan) <= app.Options.IdleTimeout);
        var login = await app.Store.CreateAsync("ada");
        Assert.Equal(SessionStatus.Ok, login.Status);
        Assert.Equal(1, await app.Store.RevokeAllAsync("ada"));
        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(login.Session!.Id)).Status);
    }

    [Fact(Timeout = 15_000)]
    public async Task EvictionStoppedBeforeDeletingTheVictimIsFinishedByTheNextLogin()
    {
        using var app = await StartAsync(services, OneSessionEvicting);
        var victim = (await app.Store.CreateAsync("ada")).Session!;
        app.Store.BetweenSteps = StopAt.Step(SessionSteps.Claimed);

        await Assert.ThrowsAsync<SimulatedCrashException>(() => app.Store.CreateAsync("ada"));
        app.Store.BetweenSteps = null;
        var next = await app.Store.CreateAsync("ada");

        Assert.Equal(SessionStatus.Ok, next.Status);
        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(victim.Id)).Status);
        Assert.Equal(SessionStatus.Ok, (await app.Store.GetAsync(next.Session!.Id)).Status);
    }

    [Fact(Timeout = 15_000)]
    public async Task EvictionStoppedBeforeDeletingTheVictimIsStillReachedByRevoke()
    {
        using var app = await StartAsync(services, OneSessionEvicting);
        var victim = (await app.Store.CreateAsync("ada")).Session!;
        app.Store.BetweenSteps = StopAt.Step(SessionSteps.Claimed);
        await Assert.ThrowsAsync<SimulatedCrashException>(() => app.Store.CreateAsync("ada"));
        app.Store.BetweenSteps = null;

        // The victim and the session of the interrupted login (listed, though its id never left) both end.
        Assert.Equal(2, await app.Store.RevokeAllAsync("ada"));
        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(victim.Id)).Status);
        Assert.Empty(await app.KeysAsync());
    }

    [Fact(Timeout = 15_000)]
    public async Task RevokeStoppedAfterClaimingIsFinishedByTheNextRevokeAndNoClaimedSessionCanRotateAway()
    {
        using var app = await StartAsync(services);
        var first = (await app.Store.CreateAsync("ada")).Session!;
        var second = (await app.Store.CreateAsync("ada")).Session!;
        app.Store.BetweenSteps = StopAt.Step(SessionSteps.Claimed);

        await Assert.ThrowsAsync<SimulatedCrashException>(() => app.Store.RevokeAllAsync("ada"));
        app.Store.BetweenSteps = null;

        Assert.Equal(SessionStatus.NotFound, (await app.Store.RotateAsync(first.Id)).Status);
        Assert.Equal(1, await app.Store.RevokeAllAsync("ada"));
        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(second.Id)).Status);
        Assert.Empty(await app.KeysAsync());
    }

    [Fact(Timeout = 15_000)]
    public async Task RevokeStoppedAfterDeletingLeavesOnlyHandlesThatTheNextRevokeDrops()
    {
        using var app = await StartAsync(services);
        var session = (await app.Store.CreateAsync("ada")).Session!;
        app.Store.BetweenSteps = StopAt.Step(SessionSteps.Ended);

        await Assert.ThrowsAsync<SimulatedCrashException>(() => app.Store.RevokeAllAsync("ada"));
        app.Store.BetweenSteps = null;

        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(session.Id)).Status);
        Assert.Equal(0, await app.Store.RevokeAllAsync("ada"));
        Assert.Empty(await app.KeysAsync());
    }

    [Theory(Timeout = 15_000)]
    [InlineData(SessionSteps.RotateRetired)]
    [InlineData(SessionSteps.RotateAdopted)]
    public async Task RotateStoppedAtAnyStepLeavesTheOldIdDeadAndThePrincipalFreeToSignIn(string step)
    {
        using var app = await StartAsync(services, OneSessionRejecting);
        var old = (await app.Store.CreateAsync("ada")).Session!;
        app.Store.BetweenSteps = StopAt.Step(step);

        await Assert.ThrowsAsync<SimulatedCrashException>(() => app.Store.RotateAsync(old.Id));
        app.Store.BetweenSteps = null;

        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(old.Id)).Status);
        var login = await app.Store.CreateAsync("ada");
        Assert.Equal(SessionStatus.Ok, login.Status);
        Assert.Equal(1, await app.Store.RevokeAllAsync("ada"));
    }

    [Fact(Timeout = 15_000)]
    public async Task RotateOvertakenByARevokeDoesNotOutliveIt()
    {
        using var app = await StartAsync(services);
        var old = (await app.Store.CreateAsync("ada")).Session!;
        app.Store.BetweenSteps = StopAt.Run(SessionSteps.RotateAdopted, () => app.Store.RevokeAllAsync("ada"));

        var rotated = await app.Store.RotateAsync(old.Id);
        app.Store.BetweenSteps = null;

        Assert.Equal(SessionStatus.NotFound, rotated.Status);
        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(old.Id)).Status);
        Assert.DoesNotContain(await app.KeysAsync(), k => k.Contains(":sess:", StringComparison.Ordinal));
    }

    [Fact(Timeout = 15_000)]
    public async Task LoginOvertakenByARevokeIsListedAndEndsWithTheNextRevoke()
    {
        using var app = await StartAsync(services);
        app.Store.BetweenSteps = StopAt.Run(SessionSteps.CreateWritten, () => app.Store.RevokeAllAsync("ada"));

        var login = await app.Store.CreateAsync("ada");
        app.Store.BetweenSteps = null;

        Assert.Equal(SessionStatus.Ok, (await app.Store.GetAsync(login.Session!.Id)).Status);
        Assert.Equal(1, await app.Store.RevokeAllAsync("ada"));
        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(login.Session.Id)).Status);
    }

    [Fact(Timeout = 15_000)]
    public async Task DeleteStoppedBeforeTheIndexLeavesADeadEntryThatDoesNotCountAgainstTheLimit()
    {
        using var app = await StartAsync(services, OneSessionRejecting);
        var session = (await app.Store.CreateAsync("ada")).Session!;
        app.Store.BetweenSteps = StopAt.Step(SessionSteps.DeleteEnded);

        await Assert.ThrowsAsync<SimulatedCrashException>(() => app.Store.DeleteAsync(session.Id));
        app.Store.BetweenSteps = null;

        Assert.Equal(SessionStatus.NotFound, (await app.Store.GetAsync(session.Id)).Status);
        Assert.Equal(SessionStatus.Ok, (await app.Store.CreateAsync("ada")).Status);
    }
}
