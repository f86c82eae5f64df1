using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Serverless.Core.Redis;
using Serverless.Core.Search.Query;
using StackExchange.Redis;

namespace Serverless.Core.Search.Caching;

/// <summary>
/// Which queries are hot, across instances: hits are counted in memory (no Redis call per search) and flushed in one
/// script to a Redis sorted set with forward exponential decay, so recent popularity outweighs old.
/// </summary>
public sealed class HotQueries(IConnectionMultiplexer redis, RedisKeys keys, IOptions<SearchOptions> options, TimeProvider time)
{
    private const int Kept = 1_000;

    // Forward decay: a hit at time t weighs 2^((t - epoch) / halfLife). Scores are rescaled and the epoch moved
    // before the weights get large, so doubles never overflow. The set and its epoch change together, so they are one
    // aggregate under the hash tag {hot}.
    private static readonly RedisScript Flush = RedisScript.Named("search.hot.flush", ["set", "epoch"], ["now", "halfLife", "kept"], """
        now = tonumber(now)
        halfLife = tonumber(halfLife)
        local start = tonumber(redis.call('GET', epoch))
        if not start then start = now; redis.call('SET', epoch, now) end
        local exponent = (now - start) / halfLife
        if exponent > 40 then
          redis.call('ZUNIONSTORE', set, 1, set, 'WEIGHTS', 2 ^ -exponent)
          redis.call('SET', epoch, now)
          exponent = 0
        end
        local weight = 2 ^ exponent
        for i = 1, #hits, 2 do redis.call('ZINCRBY', set, tonumber(hits[i + 1]) * weight, hits[i]) end
        redis.call('ZREMRANGEBYRANK', set, 0, -(tonumber(kept) + 1))
        return 1
        """, restArgs: "hits");

    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly IDatabase _db = redis.GetDatabase();
    private readonly RedisKey _set = keys.Tagged("search", "hot", "queries");
    private readonly RedisKey _epoch = keys.Tagged("search", "hot", "epoch");

    /// <summary>Counts one hit locally.</summary>
    public void Record(SearchQuery query) => Entry(query).Increment();

    /// <summary>
    /// The local counter of <paramref name="query"/>, which also keeps its cache key at the catalog version last
    /// asked for: the search hot path looks it up once, takes the key from it and counts the hit on it.
    /// </summary>
    internal Pending Entry(SearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return _pending.GetOrAdd(query.CanonicalKey, static (_, q) => new Pending(q), query);
    }

    /// <summary>Sends the local counts to Redis; returns how many distinct queries were flushed.</summary>
    public async Task<int> FlushAsync()
    {
        var hits = new List<(string Query, int Count)>();
        foreach (var key in _pending.Keys)
        {
            // A query looked up but never answered (it threw) has no hits and must not become hot.
            if (_pending.TryRemove(key, out var pending) && pending.Count > 0)
            {
                hits.Add((JsonSerializer.Serialize(pending.Query, HotQueryJson.Default.SearchQuery), pending.Count));
            }
        }

        if (hits.Count > 0)
        {
            var call = Flush.Call(restArgs: 2 * hits.Count)
                .Key("set", _set).Key("epoch", _epoch)
                .Arg("now", time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0)
                .Arg("halfLife", options.Value.HotQueryHalfLife.TotalSeconds)
                .Arg("kept", Kept);
            foreach (var (query, count) in hits)
            {
                call.RestArg(query).RestArg(count);
            }

            await call.EvaluateAsync(_db);
        }

        return hits.Count;
    }

    /// <summary>The hottest queries first; members that are not a query are dropped from the set.</summary>
    public async Task<IReadOnlyList<SearchQuery>> TopAsync(int count)
    {
        var members = await _db.SortedSetRangeByRankAsync(_set, 0, count - 1, Order.Descending);
        var queries = new List<SearchQuery>(members.Length);
        foreach (var member in members)
        {
            if (Decode(member) is { } query)
            {
                queries.Add(query);
            }
            else
            {
                // Written by another version of the app (or by hand): it would fail every warm-up until it decayed.
                await _db.SortedSetRemoveAsync(_set, member);
            }
        }

        return queries;
    }

    private static SearchQuery? Decode(RedisValue member)
    {
        try
        {
            return JsonSerializer.Deserialize((string)member!, HotQueryJson.Default.SearchQuery);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Hits of one query not yet flushed; a class so counting does not replace dictionary entries.</summary>
internal sealed class Pending(SearchQuery query)
{
    private int _count;
    private KeyAtVersion? _key;
    private Front? _front;

    public SearchQuery Query => query;

    /// <summary>The cache key at <paramref name="catalogVersion"/>, built once per version instead of once per hit.</summary>
    public string KeyAt(long catalogVersion)
    {
        var key = Volatile.Read(ref _key);
        if (key is null || key.Version != catalogVersion)
        {
            key = new KeyAtVersion(catalogVersion, SearchService.Key(query, catalogVersion));
            Volatile.Write(ref _key, key);
        }

        return key.Key;
    }

    public int Count => Volatile.Read(ref _count);

    public void Increment() => Interlocked.Increment(ref _count);

    /// <summary>The result remembered at <paramref name="catalogVersion"/> if it is still fresh at <paramref name="now"/>.</summary>
    public SearchResult? FrontAt(long catalogVersion, long now) =>
        Volatile.Read(ref _front) is { } front && front.Version == catalogVersion && now < front.Until ? front.Result : null;

    /// <summary>Remembers an L1 hit's result at its catalog version until <paramref name="until"/> (a <see cref="TimeProvider"/> timestamp).</summary>
    public void Remember(long catalogVersion, SearchResult result, long until) => Volatile.Write(ref _front, new Front(catalogVersion, result, until));

    private sealed record KeyAtVersion(long Version, string Key);

    private sealed record Front(long Version, SearchResult Result, long Until);
}

[JsonSerializable(typeof(SearchQuery))]
internal sealed partial class HotQueryJson : JsonSerializerContext;
