using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using StackExchange.Redis;

namespace Serverless.Tests.Redis;

/// <summary>One command the app sent: its name, every key it named, and the script's SHA1 or text when it ran one.</summary>
internal sealed record RecordedCall(string Method, IReadOnlyList<RedisKey> Keys, string? Script);

/// <summary>
/// A connection that records every command sent through its databases (keys and scripts) and forwards everything,
/// so a test can check what the app really sends rather than what a call site meant to send.
/// </summary>
internal class RecordingRedis : DispatchProxy
{
    private object _inner = null!;
    private ConcurrentQueue<RecordedCall> _calls = null!;

    public static IConnectionMultiplexer Wrap(IConnectionMultiplexer inner, ConcurrentQueue<RecordedCall> calls)
    {
        var proxy = Create<IConnectionMultiplexer, RecordingRedis>();
        ((RecordingRedis)(object)proxy).Init(inner, calls);
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (_inner is IDatabase)
        {
            _calls.Enqueue(new RecordedCall(targetMethod.Name, [.. KeysIn(args ?? [])], targetMethod.Name.StartsWith("ScriptEvaluate", StringComparison.Ordinal) ? ScriptIn(args ?? []) : null));
        }

        object? result;
        try
        {
            result = targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }

        if (result is IDatabase database && targetMethod.Name == nameof(IConnectionMultiplexer.GetDatabase))
        {
            var proxy = Create<IDatabase, RecordingRedis>();
            ((RecordingRedis)(object)proxy).Init(database, _calls);
            return proxy;
        }

        return result;
    }

    private void Init(object inner, ConcurrentQueue<RecordedCall> calls) => (_inner, _calls) = (inner, calls);

    private static IEnumerable<RedisKey> KeysIn(object?[] args) => args.SelectMany(arg => arg switch
    {
        RedisKey key => [key],
        RedisKey[] keys => keys,
        KeyValuePair<RedisKey, RedisValue>[] pairs => pairs.Select(p => p.Key),
        _ => Enumerable.Empty<RedisKey>(),
    });

    private static string? ScriptIn(object?[] args) => args.FirstOrDefault() switch
    {
        byte[] sha1 => Convert.ToHexStringLower(sha1),
        string text => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(text))),
        _ => null,
    };
}
