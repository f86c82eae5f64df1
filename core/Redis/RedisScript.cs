using System.Security.Cryptography;
using StackExchange.Redis;

namespace Serverless.Core.Redis;

/// <summary>
/// A Lua script run by its SHA1 (EVALSHA), loaded on first use and again after a server restart (NOSCRIPT).
/// Passing the script text on every call makes the client hash and send it each time; at high concurrency that
/// client work, not Redis, was the bottleneck.
/// </summary>
public sealed class RedisScript(string text)
{
    private readonly byte[] _sha1 = SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>The Lua source.</summary>
    public string Text { get; } = text;

    /// <summary>Runs the script atomically in one round trip.</summary>
    public async Task<RedisResult> EvaluateAsync(IDatabase db, RedisKey[] keys, RedisValue[] values)
    {
        ArgumentNullException.ThrowIfNull(db);
        try
        {
            return await db.ScriptEvaluateAsync(_sha1, keys, values);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // Not cached on this server yet (first call, restart, SCRIPT FLUSH): EVAL loads it and runs it once.
            return await db.ScriptEvaluateAsync(Text, keys, values);
        }
    }
}
