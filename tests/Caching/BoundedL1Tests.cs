using Serverless.Core.Caching;
using Xunit;

namespace Serverless.Tests.Caching;

public sealed class BoundedL1Tests
{
    [Theory(Timeout = 5_000)]
    [InlineData(EvictionPolicy.Lfu)]
    [InlineData(EvictionPolicy.Lru)]
    public async Task AFillBegunBeforeADropIsRefusedAndAnOlderVersionNeverReplacesANewerOne(EvictionPolicy policy)
    {
        await Task.Yield();
        var l1 = new BoundedL1(100, policy, TimeSpan.FromMinutes(1));
        var before = l1.Epoch("k");
        l1.Drop("k", 6);

        Assert.False(l1.TrySet("k", Entry(5), before));
        Assert.True(l1.TrySet("k", Entry(6), l1.Epoch("k")));
        Assert.False(l1.TrySet("k", Entry(5), l1.Epoch("k")));
        l1.Drop("k", 6);
        Assert.True(l1.TryGet("k", out var held));
        Assert.Equal(6, held.Version);
        l1.Drop("k", 7);
        Assert.False(l1.TryGet("k", out _));
    }

    [Theory(Timeout = 5_000)]
    [InlineData(EvictionPolicy.Lfu)]
    [InlineData(EvictionPolicy.Lru)]
    public async Task TheL1NeverHoldsMoreThanItsCapacityOrAnyMarker(EvictionPolicy policy)
    {
        await Task.Yield();
        var l1 = new BoundedL1(50, policy, TimeSpan.FromMinutes(1));
        for (var i = 0; i < 1000; i++)
        {
            l1.TrySet($"k{i}", Entry(1), l1.Epoch($"k{i}"));
        }

        Assert.False(l1.TrySet("m", new CacheEntry(1, CacheEntryState.Invalidated, ReadOnlyMemory<byte>.Empty), l1.Epoch("m")));
        // ConcurrentLfu applies evictions in batched maintenance: poll for it with a deadline.
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (l1.Count > 50 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.InRange(l1.Count, 1, 50);
    }

    private static CacheEntry Entry(long version) => new(version, CacheEntryState.Present, new byte[] { 1 });
}
