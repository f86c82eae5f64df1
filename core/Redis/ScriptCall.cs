using StackExchange.Redis;

namespace Serverless.Core.Redis;

/// <summary>
/// The keys and arguments of one call of a named <see cref="RedisScript"/>, given by name in the declared order (a
/// name out of place throws, so a C# caller and its Lua script cannot drift apart), then the variable-length tails.
/// </summary>
public sealed class ScriptCall
{
    private readonly RedisScript _script;
    private readonly RedisKey[] _keys;
    private readonly RedisValue[] _args;
    private int _keyCount;
    private int _argCount;

    internal ScriptCall(RedisScript script, int restKeys, int restArgs)
    {
        if ((restKeys > 0 && script.RestKeys is null) || (restArgs > 0 && script.RestArgs is null))
        {
            throw new InvalidOperationException($"Script '{script.Name}' declares no variable-length keys or arguments.");
        }

        _script = script;
        _keys = new RedisKey[script.KeyNames.Count + restKeys];
        _args = new RedisValue[script.ArgNames.Count + restArgs];
    }

    /// <summary>The next declared key.</summary>
    public ScriptCall Key(string name, RedisKey key)
    {
        _keys[_keyCount] = key;
        _keyCount = Next(_script.KeyNames, _keyCount, name, "key");
        return this;
    }

    /// <summary>The next declared argument.</summary>
    public ScriptCall Arg(string name, RedisValue value)
    {
        _args[_argCount] = value;
        _argCount = Next(_script.ArgNames, _argCount, name, "argument");
        return this;
    }

    /// <summary>The next key of the tail, after every declared key.</summary>
    public ScriptCall RestKey(RedisKey key)
    {
        EnsureDeclaredDone(_keyCount, _script.KeyNames, "key");
        _keys[_keyCount++] = key;
        return this;
    }

    /// <summary>The next argument of the tail, after every declared argument.</summary>
    public ScriptCall RestArg(RedisValue value)
    {
        EnsureDeclaredDone(_argCount, _script.ArgNames, "argument");
        _args[_argCount++] = value;
        return this;
    }

    /// <summary>The keys given so far, in order.</summary>
    public IReadOnlyList<RedisKey> Keys => _keys;

    /// <summary>Runs the script with these keys and arguments.</summary>
    public Task<RedisResult> EvaluateAsync(IDatabase db)
    {
        if (_keyCount != _keys.Length || _argCount != _args.Length)
        {
            throw new InvalidOperationException(
                $"Script '{_script.Name}' was given {_keyCount} of {_keys.Length} keys and {_argCount} of {_args.Length} arguments.");
        }

        return _script.EvaluateAsync(db, _keys, _args);
    }

    private int Next(IReadOnlyList<string> declared, int index, string name, string what)
    {
        if (index >= declared.Count || !string.Equals(declared[index], name, StringComparison.Ordinal))
        {
            var expected = index < declared.Count ? $"'{declared[index]}'" : "no more";
            throw new InvalidOperationException($"Script '{_script.Name}' expects {expected} as {what} {index + 1}, not '{name}'.");
        }

        return index + 1;
    }

    private void EnsureDeclaredDone(int index, IReadOnlyList<string> declared, string what)
    {
        if (index < declared.Count)
        {
            throw new InvalidOperationException($"Script '{_script.Name}' still expects {what} '{declared[index]}' before the tail.");
        }
    }
}
