using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serverless.Bench.Harness;
using Serverless.Core.Sessions;
using StackExchange.Redis;
using static Serverless.Bench.Harness.SideBySide;

namespace Serverless.Bench.Peers;

/// <summary>
/// Sessions against <see cref="RedisCache"/> holding the same 10 attributes as one JSON blob, as ASP.NET Core Session
/// stores them: get = <c>GetAsync</c> + deserialize; set one attribute = get + modify + <c>SetAsync</c>. The blob is
/// measured twice: with the sliding expiry ASP.NET Core Session sets (RedisCache then refreshes the TTL on every
/// read, a second round trip) and with an absolute expiry only (one round trip, but no idle timeout).
/// </summary>
internal static class SessionPeers
{
    public static async Task<List<Sample>> GetAsync(PeerContext context, Fixture f) => await context.RowAsync("session get",
        new Contender("ours: RedisSessionStore.GetAsync", "ours", Of(() => f.Store.GetAsync(f.Id))),
        new Contender("RedisCache blob, sliding", "peer", Of(() => f.ReadBlobAsync(f.Sliding, f.SlidingKey))),
        new Contender("RedisCache blob, absolute only", "peer", Of(() => f.ReadBlobAsync(f.Absolute, f.AbsoluteKey))),
        new Contender("HGETALL (raw)", "raw", Of(() => f.Db.HashGetAllAsync(f.RawKey))));

    public static async Task<List<Sample>> SetAsync(PeerContext context, Fixture f) => await context.RowAsync("session set one attribute",
        new Contender("ours: RedisSessionStore.UpdateAsync", "ours", Of(() => f.Store.UpdateAsync(f.Id, f.Change))),
        new Contender("RedisCache blob, sliding: get+modify+set", "peer", Of(() => f.WriteBlobAsync(f.Sliding, f.SlidingKey, f.SlidingEntry))),
        new Contender("HSET (raw)", "raw", Of(() => f.Db.HashSetAsync(f.RawKey, "a:attr3", "\"changed\""))));

    /// <summary>
    /// 50 concurrent writers each set their own attribute once: how many of the 50 survive. The blob's
    /// read-modify-write keeps only the last writer's view; per-attribute updates keep all.
    /// </summary>
    public static async Task<(int Ours, int Peer)> LostUpdatesAsync(Fixture f)
    {
        const int writers = 50;
        var ours = (await f.Store.CreateAsync(null, Fixture.Attributes)).Session!.Id;
        await f.Sliding.SetAsync("lost", JsonSerializer.SerializeToUtf8Bytes(Fixture.Attributes), f.SlidingEntry);
        await Task.WhenAll(Enumerable.Range(0, writers).Select(i => Task.Run(async () =>
        {
            var change = JsonSerializer.SerializeToElement(i);
            await f.Store.UpdateAsync(ours, new Dictionary<string, JsonElement> { [$"w{i}"] = change });
            var blob = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>((await f.Sliding.GetAsync("lost"))!)!;
            blob[$"w{i}"] = change;
            await f.Sliding.SetAsync("lost", JsonSerializer.SerializeToUtf8Bytes(blob), f.SlidingEntry);
        })));
        var kept = (await f.Store.GetAsync(ours)).Session!.Attributes.Keys.Count(k => k.StartsWith('w'));
        var blobKept = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>((await f.Sliding.GetAsync("lost"))!)!.Keys.Count(k => k.StartsWith('w'));
        return (kept, blobKept);
    }

    /// <summary>One session of 10 attributes for each contender, on the same Redis.</summary>
    public sealed class Fixture
    {
        private Fixture(PeerContext context, string id)
        {
            var options = context.Provider.GetRequiredService<IOptions<SessionOptions>>().Value;
            Store = context.Provider.GetRequiredService<RedisSessionStore>();
            Db = context.Connection.GetDatabase();
            Id = id;
            Task<IConnectionMultiplexer> Shared() => Task.FromResult(context.Connection);
            Sliding = new RedisCache(Options.Create(new RedisCacheOptions { ConnectionMultiplexerFactory = Shared, InstanceName = "peer-sliding:" }));
            Absolute = new RedisCache(Options.Create(new RedisCacheOptions { ConnectionMultiplexerFactory = Shared, InstanceName = "peer-absolute:" }));
            SlidingEntry = new DistributedCacheEntryOptions { SlidingExpiration = options.IdleTimeout };
            AbsoluteEntry = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = options.AbsoluteLifetime };
        }

        public static IReadOnlyDictionary<string, JsonElement> Attributes { get; } =
            Enumerable.Range(0, 10).ToDictionary(i => $"attr{i}", i => JsonSerializer.SerializeToElement($"value-{i}-{new string('x', 16)}"));

        public RedisSessionStore Store { get; }

        public IDatabase Db { get; }

        public string Id { get; }

        public RedisCache Sliding { get; }

        public RedisCache Absolute { get; }

        public DistributedCacheEntryOptions SlidingEntry { get; }

        public DistributedCacheEntryOptions AbsoluteEntry { get; }

        public string SlidingKey => "session";

        public string AbsoluteKey => "session";

        public RedisKey RawKey => "raw:session";

        public Dictionary<string, JsonElement> Change { get; } = new() { ["attr3"] = JsonSerializer.SerializeToElement("changed") };

        public static async Task<Fixture> CreateAsync(PeerContext context)
        {
            var store = context.Provider.GetRequiredService<RedisSessionStore>();
            var id = (await store.CreateAsync("bench-user", Attributes)).Session!.Id;
            var fixture = new Fixture(context, id);
            var blob = JsonSerializer.SerializeToUtf8Bytes(Attributes);
            await fixture.Sliding.SetAsync(fixture.SlidingKey, blob, fixture.SlidingEntry);
            await fixture.Absolute.SetAsync(fixture.AbsoluteKey, blob, fixture.AbsoluteEntry);
            await fixture.Db.HashSetAsync(fixture.RawKey, [.. Attributes.Select(a => new HashEntry("a:" + a.Key, a.Value.GetRawText()))]);
            return fixture;
        }

        public async Task<Dictionary<string, JsonElement>?> ReadBlobAsync(RedisCache cache, string key) =>
            await cache.GetAsync(key) is { } bytes ? JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(bytes) : null;

        public async Task WriteBlobAsync(RedisCache cache, string key, DistributedCacheEntryOptions entry)
        {
            var blob = await ReadBlobAsync(cache, key) ?? [];
            blob["attr3"] = Change["attr3"];
            await cache.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(blob), entry);
        }
    }
}
