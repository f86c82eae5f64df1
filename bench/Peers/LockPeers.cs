using System.Collections.Concurrent;
using Medallion.Threading.Redis;
using Microsoft.Extensions.DependencyInjection;
using RedLockNet.SERedis;
using RedLockNet.SERedis.Configuration;
using Serverless.Core.Locking;
using Serverless.Core.Redis;
using StackExchange.Redis;
using static Serverless.Bench.Harness.SideBySide;

namespace Serverless.Bench.Peers;

/// <summary>
/// Redis lock acquire + release pairs: ours (with a fencing token) against DistributedLock.Redis and RedLock.net
/// (neither mints one), all on the same connection with a 10 s lease, one lock name per worker so nobody waits for
/// another holder. The raw baseline is the least a safe Redis lock can send: SET NX PX, then a compare-and-delete script.
/// </summary>
internal static class LockPeers
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);

    private static readonly RedisScript CompareAndDelete = new("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """);

    public static async Task<List<Sample>> PairsAsync(PeerContext context)
    {
        var ours = context.Provider.GetRequiredService<RedisLock>();
        var db = context.Connection.GetDatabase();
        using var redLock = RedLockFactory.Create([new RedLockMultiplexer(context.Connection)]);
        var names = new Pool();
        return await context.RowAsync("lock acquire + release",
            new Contender("ours: RedisLock (fencing token)", "ours", Of(async () =>
            {
                var name = names.Take("ours");
                var grant = await ours.TryAcquireAsync(name, Lease);
                await ours.ReleaseAsync(name, grant.Owner ?? throw Busy(), grant.Token);
                names.Return(name);
            })),
            new Contender("DistributedLock.Redis 1.1.1", "peer", Of(async () =>
            {
                var name = names.Take("medallion");
                var handle = await new RedisDistributedLock(name, db, o => o.Expiry(Lease)).TryAcquireAsync() ?? throw Busy();
                await handle.DisposeAsync();
                names.Return(name);
            })),
            new Contender("RedLock.net 2.3.2", "peer", Of(async () =>
            {
                var name = names.Take("redlock");
                var handle = await redLock.CreateLockAsync(name, Lease);
                if (!handle.IsAcquired)
                {
                    throw Busy();
                }

                await handle.DisposeAsync();
                names.Return(name);
            })),
            new Contender("SET NX PX + EVALSHA compare-delete (raw)", "raw", Of(async () =>
            {
                var name = names.Take("raw");
                var owner = Guid.NewGuid().ToString("N");
                if (!await db.StringSetAsync(name, owner, Lease, When.NotExists))
                {
                    throw Busy();
                }

                await CompareAndDelete.EvaluateAsync(db, [name], [owner]);
                names.Return(name);
            })));
    }

    private static InvalidOperationException Busy() => new("A pooled lock was busy: the measurement would include waiting.");

    // Each worker takes a free name, so a pair never waits for another worker's holder.
    private sealed class Pool
    {
        private readonly ConcurrentDictionary<string, ConcurrentBag<string>> _free = new(StringComparer.Ordinal);
        private int _next;

        public string Take(string contender)
        {
            var bag = _free.GetOrAdd(contender, _ => []);
            return bag.TryTake(out var name) ? name : $"bench-{contender}-{Interlocked.Increment(ref _next)}";
        }

        public void Return(string name) => _free[name[6..name.LastIndexOf('-')]].Add(name);
    }
}
