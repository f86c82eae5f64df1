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
    // before the weights get large, so doubles never overflow.
    private static readonly RedisScript Flush = new("""
        local now = tonumber(ARGV[1])
        local halfLife = tonumber(ARGV[2])
        local epoch = tonumber(redis.call('GET', KEYS[2]))
        if not epoch then epoch = now; redis.call('SET', KEYS[2], now) end
        local exponent = (now - epoch) / halfLife
        if exponent > 40 then
          redis.call('ZUNIONSTORE', KEYS[1], 1, KEYS[1], 'WEIGHTS', 2 ^ -exponent)
          redis.call('SET', KEYS[2], now)
          exponent = 0
        end
        local weight = 2 ^ exponent
        for i = 4, #ARGV, 2 do redis.call('ZINCRBY', KEYS[1], tonumber(ARGV[i + 1]) * weight, ARGV[i]) end
        redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
        return 1
        """);

    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly IDatabase _db = redis.GetDatabase();
    private readonly RedisKey _set = keys.For("search", "hot");
    private readonly RedisKey _epoch = keys.For("search", "hot-epoch");

    /// <summary>Counts one hit locally.</summary>
    public void Record(SearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        _pending.GetOrAdd(query.CanonicalKey, static (_, q) => new Pending(q), query).Increment();
    }

    /// <summary>Sends the local counts to Redis; returns how many distinct queries were flushed.</summary>
    public async Task<int> FlushAsync()
    {
        var batch = new List<RedisValue>
        {
            time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0,
            options.Value.HotQueryHalfLife.TotalSeconds,
            Kept,
        };
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var pending))
            {
                batch.Add(JsonSerializer.Serialize(pending.Query, HotQueryJson.Default.SearchQuery));
                batch.Add(pending.Count);
            }
        }

        if (batch.Count > 3)
        {
            await Flush.EvaluateAsync(_db, [_set, _epoch], [.. batch]);
        }

        return (batch.Count - 3) / 2;
    }

    /// <summary>The hottest queries first.</summary>
    public async Task<IReadOnlyList<SearchQuery>> TopAsync(int count)
    {
        var members = await _db.SortedSetRangeByRankAsync(_set, 0, count - 1, Order.Descending);
        return members.Select(m => JsonSerializer.Deserialize((string)m!, HotQueryJson.Default.SearchQuery)!).ToList();
    }
}

/// <summary>Hits of one query not yet flushed; a class so counting does not replace dictionary entries.</summary>
internal sealed class Pending(SearchQuery query)
{
    private int _count;

    public SearchQuery Query => query;

    public int Count => Volatile.Read(ref _count);

    public void Increment() => Interlocked.Increment(ref _count);
}

[JsonSerializable(typeof(SearchQuery))]
internal sealed partial class HotQueryJson : JsonSerializerContext;
