using StackExchange.Redis;

namespace Serverless.Core.Redis;

/// <summary>
/// Tells a Redis outage (no connection, no answer in time, a server not ready to serve) from a bug, so callers can
/// answer 503 or let a trigger retry, while a script error or a CROSSSLOT still surfaces as the defect it is.
/// </summary>
public static class RedisOutage
{
    // Replies of a server that is up but cannot serve right now: loading its data after a restart, running a long
    // script, a primary or cluster slot being failed over or migrated. Each goes away by itself.
    private static readonly string[] TransientReplies = ["LOADING", "BUSY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN"];

    /// <summary>
    /// How long a client should wait before retrying: the longest pause between two reconnect attempts
    /// (see <c>ConnectRedis</c>), so a retry after it meets a connection that was at least tried again.
    /// </summary>
    public static TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether <paramref name="exception"/>, or an exception inside it, says Redis is unavailable.</summary>
    public static bool Is(Exception? exception) => exception switch
    {
        null => false,
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => TransientReplies.Any(reply => server.Message.StartsWith(reply, StringComparison.Ordinal)),
        AggregateException aggregate => aggregate.InnerExceptions.Any(Is),
        _ => Is(exception.InnerException),
    };
}
