using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using StackExchange.Redis;

namespace Serverless.Core.Redis;

/// <summary>
/// A Lua script run by its SHA1 (EVALSHA), loaded on first use and again after a server restart (NOSCRIPT).
/// Passing the script text on every call makes the client hash and send it each time; at high concurrency that
/// client work, not Redis, was the bottleneck.
/// Every call is refused before it is sent when its keys lie in more than one cluster hash slot, so a single
/// server catches what a cluster would answer with CROSSSLOT.
/// A script declared with <see cref="Named"/> gets its keys and arguments as Lua locals of the declared names,
/// filled through <see cref="Call"/> by name, so no one counts KEYS or ARGV positions across C# and Lua.
/// </summary>
public sealed partial class RedisScript
{
    private readonly byte[] _sha1;

    /// <summary>A script that reads <c>KEYS</c> and <c>ARGV</c> by position.</summary>
    public RedisScript(string text)
        : this("script", [], [], null, null, text)
    {
    }

    private RedisScript(string name, string[] keys, string[] args, string? restKeys, string? restArgs, string text)
    {
        Name = name;
        KeyNames = keys;
        ArgNames = args;
        RestKeys = restKeys;
        RestArgs = restArgs;
        Text = text;
        _sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Name used in errors.</summary>
    public string Name { get; }

    /// <summary>The Lua source as sent (with the generated bindings of a named script).</summary>
    public string Text { get; }

    internal IReadOnlyList<string> KeyNames { get; }

    internal IReadOnlyList<string> ArgNames { get; }

    internal string? RestKeys { get; }

    internal string? RestArgs { get; }

    /// <summary>
    /// A script whose <paramref name="body"/> reads each key and argument as a local of its declared name (strings, as
    /// Redis passes them); <paramref name="restKeys"/> and <paramref name="restArgs"/> name Lua tables holding the
    /// variable-length tail of KEYS and ARGV after the declared ones.
    /// </summary>
    public static RedisScript Named(string name, string[] keys, string[] args, string body, string? restKeys = null, string? restArgs = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(body);
        foreach (var declared in keys.Concat(args).Append(restKeys).Append(restArgs).OfType<string>())
        {
            EnsureUsable(name, declared, body);
        }

        var lua = new StringBuilder();
        for (var i = 0; i < keys.Length; i++)
        {
            lua.Append("local ").Append(keys[i]).Append(" = KEYS[").Append(i + 1).Append("]\n");
        }

        for (var i = 0; i < args.Length; i++)
        {
            lua.Append("local ").Append(args[i]).Append(" = ARGV[").Append(i + 1).Append("]\n");
        }

        if (restKeys is not null)
        {
            lua.Append("local ").Append(restKeys).Append(" = {unpack(KEYS, ").Append(keys.Length + 1).Append(")}\n");
        }

        if (restArgs is not null)
        {
            lua.Append("local ").Append(restArgs).Append(" = {unpack(ARGV, ").Append(args.Length + 1).Append(")}\n");
        }

        return new RedisScript(name, keys, args, restKeys, restArgs, lua.Append(body).ToString());
    }

    // A declared name must be a Lua name that the body does not declare again: a `local` or `local function` of the
    // same name would silently hide the value the caller passed.
    private static void EnsureUsable(string script, string name, string body)
    {
        if (!LuaName().IsMatch(name) || LuaKeywords.Contains(name))
        {
            throw new ArgumentException($"Script '{script}': '{name}' is not a Lua name.", nameof(name));
        }

        if (Regex.IsMatch(body, $@"\blocal\s+(function\s+)?([A-Za-z_]\w*\s*,\s*)*{name}\b"))
        {
            throw new ArgumentException($"Script '{script}' declares a local '{name}' that hides its key or argument of that name.", nameof(body));
        }
    }

    private static readonly HashSet<string> LuaKeywords = new(StringComparer.Ordinal)
    {
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in", "local", "nil", "not", "or",
        "repeat", "return", "then", "true", "until", "while",
    };

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex LuaName();

    /// <summary>Starts a call of a named script, sized for that many tail keys and arguments.</summary>
    public ScriptCall Call(int restKeys = 0, int restArgs = 0) => new(this, restKeys, restArgs);

    /// <summary>Runs the script atomically in one round trip.</summary>
    /// <exception cref="CrossSlotException">The keys lie in more than one cluster hash slot.</exception>
    public async Task<RedisResult> EvaluateAsync(IDatabase db, RedisKey[] keys, RedisValue[] values)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(keys);
        CrossSlotException.ThrowIfSpread(Name, keys);
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
