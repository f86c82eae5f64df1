using Microsoft.Extensions.Options;
using Serverless.Core.Hosting;
using Serverless.Core.Redis;
using Xunit;

namespace Serverless.Tests.Redis;

public sealed class ClusterSlotTests
{
    [Theory]
    // CRC16/XMODEM of "123456789" is 0x31C3 (the check value in the Redis Cluster specification).
    [InlineData("123456789", 12739)]
    // What `CLUSTER KEYSLOT` answers on a real cluster.
    [InlineData("foo", 12182)]
    [InlineData("bar", 5061)]
    [InlineData("hello", 866)]
    [InlineData("somekey", 11058)]
    public void SlotIsTheCrc16OfTheKeyModuloTheSlotCount(string key, int slot) =>
        Assert.Equal(slot, ClusterSlot.Of(key));

    [Theory]
    // The examples of the Redis Cluster specification for hash tags.
    [InlineData("{user1000}.following", "user1000")]
    [InlineData("foo{}{bar}", "foo{}{bar}")]
    [InlineData("foo{{bar}}zap", "{bar")]
    [InlineData("foo{bar}{zap}", "bar")]
    [InlineData("no-tag", "no-tag")]
    [InlineData("open{only", "open{only")]
    public void OnlyTheFirstNonEmptyBracedPartIsHashed(string key, string hashed)
    {
        Assert.Equal(hashed, ClusterSlot.HashTag(key).ToString());
        Assert.Equal(ClusterSlot.Of(hashed), ClusterSlot.Of(key));
    }

    [Fact]
    public void NonAsciiKeysAreHashedAsUtf8() =>
        Assert.Equal(9552, ClusterSlot.Of("{\u00fc}a")); // CRC16 of C3 BC

    [Fact]
    public void KeysOfOneTagShareASlotAndTheTagIsTheAggregateNotThePrefix()
    {
        var keys = Keys("app1:");
        var other = Keys("app2:");

        Assert.Equal(ClusterSlot.Of(keys.Tagged("dispatch", "orders", "pool")), ClusterSlot.Of(keys.Tagged("dispatch", "orders", "l", "a")));
        Assert.Equal(ClusterSlot.Of(keys.Tagged("dispatch", "orders", "pool")), ClusterSlot.Of(other.Tagged("dispatch", "orders", "seq")));
        Assert.Equal("app1:dispatch:{orders}:l:a", (string?)keys.Tagged("dispatch", "orders", "l", "a"));
        Assert.Equal("app1:sess:{abc}", (string?)keys.Tagged("sess", "abc"));
    }

    [Theory]
    [InlineData("a}b")]
    [InlineData("}leading")]
    [InlineData("{x}")]
    [InlineData("100%{")]
    public void BracesInATagCannotMoveOrEmptyTheHashTag(string tag)
    {
        var keys = Keys("p:");
        var first = (string)keys.Tagged("sessp", tag, "live")!;
        var second = (string)keys.Tagged("sessp", tag, "revoking")!;

        Assert.Equal(ClusterSlot.Of(first), ClusterSlot.Of(second));
        Assert.Equal(ClusterSlot.HashTag(first).ToString(), ClusterSlot.HashTag(second).ToString());
        Assert.DoesNotContain('{', ClusterSlot.HashTag(first).ToString());
        // The escape is one-to-one: a tag that looks like another's escaped form gets a key of its own.
        var lookalike = tag.Replace("%", "%25", StringComparison.Ordinal).Replace("{", "%7B", StringComparison.Ordinal).Replace("}", "%7D", StringComparison.Ordinal);
        Assert.NotEqual(first, (string?)keys.Tagged("sessp", lookalike, "live"));
    }

    [Fact]
    public void AnEmptyTagIsRefused() =>
        Assert.Throws<ArgumentException>(() => Keys("p:").Tagged("sess", ""));

    private static RedisKeys Keys(string prefix) => new(Options.Create(new RedisOptions { KeyPrefix = prefix, ConnectionString = "unused" }));
}
