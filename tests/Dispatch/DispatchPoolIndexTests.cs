using Serverless.Core.Dispatch;
using Serverless.Tests.Redis;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>
/// The pool index is an aggregate of its own (another cluster slot than each pool), so saving and deleting take two
/// steps. Each test stops one after its first step, or slips another operation in between, and checks the invariant:
/// every pool that exists is listed, and a listed pool that does not exist is never shown.
/// </summary>
public sealed class DispatchPoolIndexTests(ServicesFixture services)
{
    private const string OneTarget = """{"policy":"round-robin","targets":[{"id":"a","url":"http://a.test"}]}""";

    [Fact(Timeout = 15_000)]
    public async Task SaveStoppedAfterListingShowsNoPoolAndTheNextSaveCompletesIt()
    {
        using var app = await DispatchApp.StartAsync(services);
        app.Store.BetweenSteps = StopAt.Step(DispatchSteps.SaveListed);

        await Assert.ThrowsAsync<SimulatedCrashException>(() => app.SavePoolAsync("half", OneTarget));
        app.Store.BetweenSteps = null;

        Assert.DoesNotContain("half", await app.Store.ListAsync());
        Assert.Null(await app.Store.GetAsync("half"));
        Assert.Equal(PickStatus.PoolNotFound, (await app.Store.PickAsync("half")).Status);
        await app.SavePoolAsync("half", OneTarget);
        Assert.Equal(["half"], await app.Store.ListAsync());
    }

    [Fact(Timeout = 15_000)]
    public async Task DeleteStoppedBeforeUnlistingHidesThePoolAndItsNameCanBeSavedAndDeletedAgain()
    {
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("gone", OneTarget);
        app.Store.BetweenSteps = StopAt.Step(DispatchSteps.DeleteRemoved);

        await Assert.ThrowsAsync<SimulatedCrashException>(() => app.Store.DeleteAsync("gone"));
        app.Store.BetweenSteps = null;

        Assert.Empty(await app.Store.ListAsync());
        Assert.Null(await app.Store.GetAsync("gone"));
        await app.SavePoolAsync("gone", OneTarget);
        Assert.Equal(["gone"], await app.Store.ListAsync());
        Assert.True(await app.Store.DeleteAsync("gone"));
        Assert.Empty(await app.Store.ListAsync());
        Assert.Empty(await app.KeysAsync());
    }

    [Fact(Timeout = 15_000)]
    public async Task SaveOfTheSameNameDuringADeleteStaysListed()
    {
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("race", OneTarget);
        app.Store.BetweenSteps = StopAt.Run(DispatchSteps.DeleteRemoved, () => app.SavePoolAsync("race", OneTarget));

        Assert.True(await app.Store.DeleteAsync("race"));
        app.Store.BetweenSteps = null;

        Assert.NotNull(await app.Store.GetAsync("race"));
        Assert.Equal(["race"], await app.Store.ListAsync());
    }

    [Fact(Timeout = 15_000)]
    public async Task AnInstanceThatLastSawOtherTargetsPicksFromTheCurrentOnes()
    {
        var prefix = TestApp.NewPrefix();
        using var first = await DispatchApp.StartSharingAsync(services, prefix);
        using var second = await DispatchApp.StartSharingAsync(services, prefix);
        await first.SavePoolAsync("moving", OneTarget);
        Assert.Equal("a", await second.PickAsync("moving"));

        await first.SavePoolAsync("moving", """{"policy":"round-robin","targets":[{"id":"b","url":"http://b.test"}]}""");

        Assert.Equal("b", await second.PickAsync("moving"));
        Assert.Equal("b", Assert.Single((await second.Store.GetAsync("moving"))!.Targets).Id);
        Assert.True(await second.Store.DeleteAsync("moving"));
        Assert.Empty(await first.KeysAsync());
    }
}
