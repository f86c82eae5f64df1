using Serverless.Core.Records;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Records;

/// <summary>The checker under the faults of the issue: a flusher that dies between table write and log ack, and a Redis restart.</summary>
[RedisBacked]
public sealed class RecordFaultTests(ServicesFixture services, ITestOutputHelper output)
{
    private static readonly string[] Keys = ["hot-a", "hot-b", "hot-c", "hot-d"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task WriteBehindLosesNoAcknowledgedWriteWhenAFlusherDiesBetweenTableWriteAndLogAck()
    {
        var world = new RecordWorld(services);
        using var first = await world.StartAsync();
        using var second = await world.StartAsync();
        var collection = WritePolicy.WriteBehind.Name();
        var crashed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The first flusher writes its first batch to the table, then dies before acknowledging it; the second waits
        // until then, so the batch stays pending with the dead consumer and must be claimed.
        first.Faults.AfterTableWrite = async ct =>
        {
            crashed.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        };
        second.Faults.BeforeFlush = ct => crashed.Task.WaitAsync(ct);
        var history = new RecordHistory();
        RecordHistoryRun.Observe(history, first, 0);
        RecordHistoryRun.Observe(history, second, 1);
        IRecordClient[] instances = [new StoreClient(first, 0, collection), new StoreClient(second, 1, collection)];

        var run = RecordHistoryRun.RunAsync(history, c => instances[c % 2], 8, Keys, TimeSpan.FromSeconds(3), Ct);
        await crashed.Task.WaitAsync(Ct);
        await first.Flusher.StopAsync(Ct);
        await run;

        var verdict = history.Check();
        var lost = await RecordHistoryRun.UnsettledAsync(history, first.Get<RecordTable>(), collection, Keys, TimeSpan.FromSeconds(20), Ct);
        output.WriteLine($"flusher crash: {verdict}; lost acknowledged writes: {lost.Count}; flushed by the survivor: {second.Flusher.Flushed}");
        Assert.Empty(lost);
        Assert.Empty(verdict.Stale);
        Assert.Empty(verdict.Backwards);
        Assert.True(second.Flusher.Flushed > 0);
        Assert.Equal(0, await first.Database.StreamLengthAsync(first.Prefix + "records:{write-behind}:log"));
    }

    [Theory(Timeout = 90_000)]
    [InlineData(WritePolicy.CacheAside)]
    [InlineData(WritePolicy.WriteThrough)]
    [InlineData(WritePolicy.WriteBehind)]
    [InlineData(WritePolicy.WriteAround)]
    public async Task ARedisRestartWithoutPersistenceLosesExactlyTheUnflushedWriteBehindLogAndNothingElse(WritePolicy policy)
    {
        await using var redis = await OwnRedisServer.StartAsync();
        var world = new RecordWorld(services, redis.ConnectionString);
        using var first = await world.StartAsync();
        using var second = await world.StartAsync();
        var collection = policy.Name();
        var table = first.Get<RecordTable>();
        var history = new RecordHistory();
        IRecordClient[] instances = [new StoreClient(first, 0, collection), new StoreClient(second, 1, collection)];
        var before = Keys.Select(k => "before-" + k).ToArray();

        await RecordHistoryRun.RunAsync(history, c => instances[c % 2], 8, before, TimeSpan.FromSeconds(1.5), Ct);
        // Hold both flushers between passes, so the log read now is exactly what the restart takes with it.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new[] { first, second }.Select(app =>
        {
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            app.Faults.BeforeFlush = async ct =>
            {
                reached.TrySetResult();
                await gate.Task.WaitAsync(ct);
            };
            return reached.Task;
        }).ToArray();
        await Task.WhenAll(held).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        var unflushed = policy == WritePolicy.WriteBehind
            ? (await first.Database.StreamRangeAsync(first.Prefix + "records:{write-behind}:log")).Select(e => (string)e["k"]!).Distinct().Order().ToList()
            : [];

        await redis.RestartAsync();
        gate.TrySetResult();
        await WaitForRedisAsync(first);
        await WaitForRedisAsync(second);
        var lost = await RecordHistoryRun.UnsettledAsync(history, table, collection, before, TimeSpan.FromSeconds(3), Ct);

        var after = new RecordHistory();
        RecordHistoryRun.Observe(after, first, 0);
        RecordHistoryRun.Observe(after, second, 1);
        var fresh = Keys.Select(k => "after-" + k).ToArray();
        await RecordHistoryRun.RunAsync(after, c => instances[c % 2], 8, fresh, TimeSpan.FromSeconds(1.5), Ct);
        var verdict = after.Check();
        var unsettled = await RecordHistoryRun.UnsettledAsync(after, table, collection, fresh, TimeSpan.FromSeconds(15), Ct);

        output.WriteLine($"{collection} Redis restart: {lost.Count} keys lost their last acknowledged write ({string.Join("; ", lost)}); " +
            $"unflushed at the restart: {unflushed.Count}; afterwards: {verdict}");
        Assert.Equal(unflushed, lost.Select(l => l.Split(':')[0]).Order().ToList());
        if (policy != WritePolicy.WriteBehind)
        {
            Assert.Empty(lost);
        }

        Assert.Empty(verdict.Stale);
        Assert.Empty(verdict.Backwards);
        Assert.Empty(unsettled);
    }

    private static async Task WaitForRedisAsync(RecordApp app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                await app.Database.PingAsync();
                return;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, Ct);
            }
        }
    }
}
