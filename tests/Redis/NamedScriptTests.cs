using Serverless.Core.Redis;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Redis;

/// <summary>Scripts declared with names: C# fills keys and arguments by name, Lua reads them as locals of those names.</summary>
public sealed class NamedScriptTests(ServicesFixture services)
{
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

    [Theory]
    [InlineData("local now = 1 return now")]
    [InlineData("local function now() return 1 end return now()")]
    [InlineData("local a, now = 1, 2 return a")]
    public void ABodyThatHidesADeclaredNameIsRefused(string body)
    {
        var refused = Assert.Throws<ArgumentException>(() => RedisScript.Named("test.hides", ["key"], ["now"], body));

        Assert.Contains("'now'", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("until")]
    [InlineData("1st")]
    [InlineData("has-dash")]
    public void ANameLuaCannotHoldIsRefused(string name) =>
        Assert.Throws<ArgumentException>(() => RedisScript.Named("test.names", [], [name], "return 1"));

    [Fact]
    public void ABodyMayConvertADeclaredArgumentInPlace() =>
        Assert.Contains("now = tonumber(now)", RedisScript.Named("test.converts", [], ["now"], "now = tonumber(now) return now").Text, StringComparison.Ordinal);

    private async Task<ConnectionMultiplexer> ConnectAsync() => await ConnectionMultiplexer.ConnectAsync(services.Redis.ConnectionString);
}
