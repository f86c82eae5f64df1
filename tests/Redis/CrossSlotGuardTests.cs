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

    [Fact(Timeout = 15_000)]
    public async Task NamedScriptRefusesKeysOrArgumentsOutOfTheirDeclaredOrder()
    {
        await using var redis = await ConnectAsync();
        var script = RedisScript.Named("test.pair", ["left", "right"], ["value"], "redis.call('SET', left, value) redis.call('SET', right, value) return 1");
        var prefix = TestApp.NewPrefix();

        var swapped = Assert.Throws<InvalidOperationException>(() => script.Call().Key("right", prefix + "{t}r"));
        var incomplete = Assert.Throws<InvalidOperationException>(() => { _ = script.Call().Key("left", prefix + "{t}l").Key("right", prefix + "{t}r").EvaluateAsync(redis.GetDatabase()); });
        var ran = await script.Call().Key("left", prefix + "{t}l").Key("right", prefix + "{t}r").Arg("value", "v").EvaluateAsync(redis.GetDatabase());

        Assert.Contains("'left'", swapped.Message, StringComparison.Ordinal);
        Assert.Contains("0 of 1 arguments", incomplete.Message, StringComparison.Ordinal);
        Assert.Equal(1, (int)ran);
        Assert.Equal("v", (string?)await redis.GetDatabase().StringGetAsync(prefix + "{t}r"));
    }

    [Fact(Timeout = 15_000)]
    public async Task NamedScriptSeesItsVariableTailsAsTables()
    {
        await using var redis = await ConnectAsync();
        var script = RedisScript.Named("test.tails", ["first"], ["separator"], "return table.concat(values, separator) .. '|' .. #more", restKeys: "more", restArgs: "values");
        var prefix = TestApp.NewPrefix();

        var reply = await script.Call(restKeys: 2, restArgs: 3)
            .Key("first", prefix + "{t}1").Arg("separator", ",")
            .RestKey(prefix + "{t}2").RestKey(prefix + "{t}3")
            .RestArg("a").RestArg("b").RestArg("c")
            .EvaluateAsync(redis.GetDatabase());

        Assert.Equal("a,b,c|2", (string?)reply);
    }

    private async Task<ConnectionMultiplexer> ConnectAsync() => await ConnectionMultiplexer.ConnectAsync(services.Redis.ConnectionString);
}
