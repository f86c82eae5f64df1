using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Foundation;

/// <summary>
/// The local cluster the cluster pass runs on behaves like Azure Managed Redis where it matters: keys spread over
/// three primaries, a script whose keys span slots is refused, hash-tagged keys work, and nothing outlives it.
/// </summary>
public sealed class RedisClusterFixtureTests
{
    [Fact(Timeout = 120_000)]
    public async Task LocalClusterSpreadsKeysOverThreePrimariesAndRefusesCrossSlotScripts()
    {
        var cluster = await RedisServer.StartAsync(RedisTopology.Cluster);
        List<RedisNode> nodes;
        List<int> pids;
        await using (cluster)
        {
            nodes = [.. cluster.Nodes];
            pids = [.. nodes.Select(n => n.Process.Id)];
            await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString);
            var db = redis.GetDatabase();
            var keys = Enumerable.Range(0, 30).Select(i => $"spread:{i}").ToList();
            foreach (var key in keys)
            {
                await db.StringSetAsync(key, "x");
            }

            var crossSlot = await Assert.ThrowsAnyAsync<Exception>(() =>
                db.ScriptEvaluateAsync("return redis.call('MGET', KEYS[1], KEYS[2])", ["a", "b"]));
            var sameSlot = await db.ScriptEvaluateAsync("redis.call('SET', KEYS[1], 1) return redis.call('EXISTS', KEYS[1], KEYS[2])", ["{t}a", "{t}b"]);

            Assert.Equal(RedisTopology.Cluster, cluster.Topology);
            Assert.Equal(3, redis.Primaries().Count);
            Assert.All(redis.Primaries(), p => Assert.Equal(ServerType.Cluster, p.ServerType));
            Assert.Equal(keys.Order(), (await redis.KeysOnEveryPrimaryAsync("spread:*")).Order());
            foreach (var primary in redis.Primaries())
            {
                var own = 0;
                await foreach (var _ in primary.KeysAsync(pattern: "spread:*"))
                {
                    own++;
                }

                Assert.True(own > 0, $"{primary.EndPoint} holds none of the 30 keys");
            }

            Assert.Contains("single slot", crossSlot.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(1, (int)sameSlot);
        }

        Assert.Equal(3, nodes.Count);
        Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"redis-server {pid} outlived the fixture"));
        Assert.All(nodes, n => Assert.False(Directory.Exists(n.DataDirectory)));
    }

    [Fact]
    public void AnUnknownTopologyIsAnErrorNamingTheVariable()
    {
        var error = Assert.Throws<InvalidOperationException>(() => RedisTopologySetting.Parse("clustr"));

        Assert.Contains("REDIS_TOPOLOGY", error.Message, StringComparison.Ordinal);
    }
}
