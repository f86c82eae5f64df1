using Serverless.Core.Redis;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Redis;

/// <summary>The guard in <see cref="RedisScript"/> fails on a single server exactly where a cluster would answer CROSSSLOT.</summary>
public sealed class CrossSlotGuardTests(ServicesFixture services)
{
    // Writes every key it is given, so a refused call is seen to have written nothing.
    private static readonly RedisScript WriteAll = new("for _, key in ipairs(KEYS) do redis.call('SET', key, '1', 'PX', 60000) end return #KEYS");

    [Fact(Timeout = 15_000)]
    public async Task ScriptOverKeysOfTwoSlotsIsRefusedBeforeItIsSent()
    {
        await using var redis = await ConnectAsync();
        var prefix = TestApp.NewPrefix();
        RedisKey first = prefix + "{x}a";
        RedisKey second = prefix + "{y}b";
        Assert.NotEqual(ClusterSlot.Of(first), ClusterSlot.Of(second));

        var refused = await Assert.ThrowsAsync<CrossSlotException>(() => WriteAll.EvaluateAsync(redis.GetDatabase(), [first, second], []));

        Assert.Contains((string)first!, refused.Message, StringComparison.Ordinal);
        Assert.Contains((string)second!, refused.Message, StringComparison.Ordinal);
        Assert.Contains("CROSSSLOT", refused.Message, StringComparison.Ordinal);
        Assert.False(await redis.GetDatabase().KeyExistsAsync(first));
    }

    [Fact(Timeout = 15_000)]
    public async Task ScriptOverKeysSharingAHashTagRuns()
    {
        await using var redis = await ConnectAsync();
        var prefix = TestApp.NewPrefix();

        var written = await WriteAll.EvaluateAsync(redis.GetDatabase(), [prefix + "{pool}:a", prefix + "{pool}:b", prefix + "{pool}:c"], []);

        Assert.Equal(3, (int)written);
    }

    [Fact(Timeout = 15_000)]
    public async Task UntaggedKeysThatHappenToShareASlotAreAllowed()
    {
        await using var redis = await ConnectAsync();
        var prefix = TestApp.NewPrefix();
        var first = prefix + "x0";
        var second = Enumerable.Range(1, 400_000).Select(i => prefix + "x" + i).First(k => ClusterSlot.Of(k) == ClusterSlot.Of(first));

        var written = await WriteAll.EvaluateAsync(redis.GetDatabase(), [first, second], []);

        Assert.Equal(2, (int)written);
    }

    private async Task<ConnectionMultiplexer> ConnectAsync() => await ConnectionMultiplexer.ConnectAsync(services.Redis.ConnectionString);
}
