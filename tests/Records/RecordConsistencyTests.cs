using Serverless.Core.Records;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Records;

/// <summary>
/// The consistency checker: sixteen clients on two app instances (the second and its eight clients join mid-run) read and write three hot
/// keys while every fill stalls up to 20 ms between its table read and its cache set (a slow reader, the race the
/// version check exists for). Per policy: no stale read beyond the measured L1 window, no client going backwards,
/// and after quiescence the table holds the last acknowledged write of every key. The control run proves the checker
/// can fail.
/// </summary>
[RedisBacked]
public sealed class RecordConsistencyTests(ServicesFixture services, ITestOutputHelper output)
{
    private static readonly string[] Keys = ["hot-a", "hot-b", "hot-c"];
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task TheCheckerFindsStaleReadsInTheUnversionedCacheAsideControlRun()
    {
        var world = new RecordWorld(services);
        using var first = await world.StartAsync();
        using var second = await world.StartAsync();
        var history = new RecordHistory();
        var collection = WritePolicy.CacheAside.Name();
        IRecordClient[] instances = [new UnversionedCacheAside(first, 0, collection, Stall), new UnversionedCacheAside(second, 1, collection, Stall)];

        await RecordHistoryRun.RunAsync(history, c => instances[c % 2], 8, Keys, Duration, Ct);

        var verdict = history.Check();
        output.WriteLine($"control: {verdict}");
        Assert.NotEmpty(verdict.Stale);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(WritePolicy.CacheAside)]
    [InlineData(WritePolicy.WriteThrough)]
    [InlineData(WritePolicy.WriteBehind)]
    [InlineData(WritePolicy.WriteAround)]
    public async Task EveryPolicyPassesTheCheckerWithSlowFillsAndASecondInstanceJoiningMidRun(WritePolicy policy)
    {
        var world = new RecordWorld(services);
        using var first = await world.StartAsync();
        first.Faults.BeforeFill = Stall;
        var history = new RecordHistory();
        RecordHistoryRun.Observe(history, first, 0);
        var collection = policy.Name();
        var instances = new IRecordClient?[] { new StoreClient(first, 0, collection), null };

        var run = RecordHistoryRun.RunAsync(history, c => instances[c / 8], 16, Keys, Duration, Ct);
        await Task.Delay(Duration / 3, Ct); // the fault: a second instance starts while the first is under load
        using var second = await world.StartAsync();
        second.Faults.BeforeFill = Stall;
        RecordHistoryRun.Observe(history, second, 1);
        instances[1] = new StoreClient(second, 1, collection);
        await run;

        var verdict = history.Check();
        var unsettled = await RecordHistoryRun.UnsettledAsync(history, first.Get<RecordTable>(), collection, Keys, TimeSpan.FromSeconds(15), Ct);
        output.WriteLine($"{collection}: {verdict}");
        Assert.True(verdict.Writes >= 5 && verdict.Reads >= 5, verdict.ToString());
        Assert.Empty(verdict.Stale);
        Assert.Empty(verdict.Backwards);
        Assert.Empty(unsettled);
    }

    // A slow reader: 0-20 ms between reading the table and setting the cache (fault injection, not synchronisation).
#pragma warning disable CA5394 // Not for security.
    internal static Task Stall(CancellationToken ct) => Task.Delay(Random.Shared.Next(0, 20), ct);
#pragma warning restore CA5394
}
