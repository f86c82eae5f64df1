using StackExchange.Redis;

namespace Serverless.Testing;

/// <summary>
/// Whole-keyspace operations over every primary. On a cluster each node holds only its own hash slots, so SCAN or
/// FLUSHALL sent to one server (<c>GetServers()[0]</c>) sees or clears about a third of the keys; on one node the
/// loop runs once.
/// </summary>
public static class RedisPrimaries
{
    public static IReadOnlyList<IServer> Primaries(this IConnectionMultiplexer redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return redis.GetServers().Where(s => !s.IsReplica).ToList();
    }

    /// <summary>Every key matching <paramref name="pattern"/>, from every primary.</summary>
    public static async Task<List<string>> KeysOnEveryPrimaryAsync(this IConnectionMultiplexer redis, string pattern)
    {
        var keys = new List<string>();
        foreach (var server in redis.Primaries())
        {
            await foreach (var key in server.KeysAsync(pattern: pattern))
            {
                keys.Add(key.ToString());
            }
        }

        return keys;
    }

    /// <summary>Empties every database on every primary; the connection needs <c>allowAdmin</c>.</summary>
    public static async Task FlushEveryPrimaryAsync(this IConnectionMultiplexer redis)
    {
        foreach (var server in redis.Primaries())
        {
            await server.FlushAllDatabasesAsync();
        }
    }
}
