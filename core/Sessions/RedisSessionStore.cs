using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Serverless.Core.Redis;
using StackExchange.Redis;

namespace Serverless.Core.Sessions;

/// <summary>
/// Sessions in Redis: one hash per session so concurrent writers of different attributes never overwrite each other
/// (a JSON-blob session loses one of two concurrent updates), every operation one atomic Lua round trip.
/// </summary>
public sealed class RedisSessionStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<SessionOptions> options, SessionRules rules, TimeProvider time)
{
    private const string AttributePrefix = "a:";
    private readonly IDatabase _db = redis.GetDatabase();
    private readonly string _sessionPrefix = keys.Prefix + "sess:";
    private readonly string _principalPrefix = keys.Prefix + "sessp:";

    /// <summary>Creates a session, optionally bound to a principal, with initial attributes.</summary>
    public async Task<SessionResult> CreateAsync(string? principal, IReadOnlyDictionary<string, JsonElement>? attributes = null)
    {
        attributes ??= new Dictionary<string, JsonElement>();
        EnsureValid(rules.Check(attributes) ?? SessionRules.CheckPrincipal(principal));
        var limits = options.Value;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var id = SessionId.New();
        var handle = SessionId.Handle(id);
        var args = CommonArgs(handle, now);
        args.Add(principal ?? "");
        args.Add(now + (long)limits.AbsoluteLifetime.TotalMilliseconds);
        args.Add(limits.MaxSessionsPerPrincipal);
        args.Add(limits.PrincipalLimitPolicy == PrincipalLimitPolicy.Reject ? "reject" : "evict");
        foreach (var (name, value) in attributes.Where(a => a.Value.ValueKind != JsonValueKind.Null))
        {
            args.Add(AttributePrefix + name);
            args.Add(value.GetRawText());
        }

        RedisKey session = _sessionPrefix + handle;
        RedisKey index = principal is null ? session : _principalPrefix + principal;
        var reply = (RedisResult[])(await SessionScripts.Create.EvaluateAsync(_db, [session, index], [.. args]))!;
        return Status(reply) switch
        {
            "ok" => new(SessionStatus.Ok, FromMetadata(id, (RedisResult[])reply[1]!, attributes.Where(a => a.Value.ValueKind != JsonValueKind.Null))),
            "limit" => new(SessionStatus.PrincipalLimitReached),
            var other => throw Unexpected(other),
        };
    }

    /// <summary>The whole session; slides its expiry.</summary>
    public async Task<SessionResult> GetAsync(string id)
    {
        if (!SessionId.IsWellFormed(id))
        {
            return SessionResult.NotFound;
        }

        var reply = await RunAsync(SessionScripts.GetAll, id, RefreshWindowMs);
        return Status(reply) == "ok" ? new(SessionStatus.Ok, FromHash(id, (RedisResult[])reply[1]!, (long)reply[2])) : SessionResult.NotFound;
    }

    /// <summary>The session's metadata and one attribute (absent from the result if not set); slides its expiry.</summary>
    public async Task<SessionResult> GetAttributeAsync(string id, string name)
    {
        if (!SessionId.IsWellFormed(id) || !SessionRules.IsValidName(name))
        {
            return SessionResult.NotFound;
        }

        var reply = await RunAsync(SessionScripts.GetOne, id, AttributePrefix + name);
        if (Status(reply) != "ok")
        {
            return SessionResult.NotFound;
        }

        var value = (string?)reply[2];
        var attributes = value is null ? [] : new[] { KeyValuePair.Create(name, Parse(value)) };
        return new(SessionStatus.Ok, FromMetadata(id, (RedisResult[])reply[1]!, attributes));
    }

    /// <summary>
    /// Sets and removes attributes in one atomic step (a JSON null removes). With <paramref name="expectedVersion"/> it is a
    /// compare-and-set: applied only if the session is still at that version. The result carries metadata only.
    /// </summary>
    public async Task<SessionResult> UpdateAsync(string id, IReadOnlyDictionary<string, JsonElement> changes, long? expectedVersion = null)
    {
        EnsureValid(rules.Check(changes));
        if (!SessionId.IsWellFormed(id))
        {
            return SessionResult.NotFound;
        }

        // One pass and one exactly sized array (this is the hot write path): set pairs fill from the front,
        // removals from the back, so the script sees pairs first and then the fields to delete.
        var removals = 0;
        foreach (var change in changes)
        {
            removals += change.Value.ValueKind == JsonValueKind.Null ? 1 : 0;
        }

        var pairs = changes.Count - removals;
        var extra = new RedisValue[3 + (2 * pairs) + removals];
        extra[0] = expectedVersion?.ToString(CultureInfo.InvariantCulture) ?? "";
        extra[1] = options.Value.MaxAttributes;
        extra[2] = pairs;
        var (front, back) = (3, extra.Length);
        foreach (var (name, value) in changes)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                extra[--back] = AttributePrefix + name;
            }
            else
            {
                extra[front++] = AttributePrefix + name;
                extra[front++] = value.GetRawText();
            }
        }

        var reply = await RunAsync(SessionScripts.Update, id, extra);
        return Status(reply) switch
        {
            "ok" => new(SessionStatus.Ok, FromMetadata(id, (RedisResult[])reply[1]!, [])),
            "missing" => SessionResult.NotFound,
            "version" => new(SessionStatus.VersionMismatch),
            "toomany" => new(SessionStatus.TooManyAttributes),
            var other => throw Unexpected(other),
        };
    }

    /// <summary>Removes one attribute.</summary>
    public Task<SessionResult> RemoveAttributeAsync(string id, string name, long? expectedVersion = null) =>
        UpdateAsync(id, new Dictionary<string, JsonElement> { [name] = JsonNull }, expectedVersion);

    /// <summary>Slides the expiry without reading attributes.</summary>
    public async Task<SessionResult> TouchAsync(string id)
    {
        if (!SessionId.IsWellFormed(id))
        {
            return SessionResult.NotFound;
        }

        var reply = await RunAsync(SessionScripts.Touch, id);
        return Status(reply) == "ok" ? new(SessionStatus.Ok, FromMetadata(id, (RedisResult[])reply[1]!, [])) : SessionResult.NotFound;
    }

    /// <summary>Moves the session to a new id (fixation defence): data and deadline kept, the old id dead at once.</summary>
    public async Task<SessionResult> RotateAsync(string id)
    {
        if (!SessionId.IsWellFormed(id))
        {
            return SessionResult.NotFound;
        }

        var newId = SessionId.New();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var (handle, newHandle) = (SessionId.Handle(id), SessionId.Handle(newId));
        var args = CommonArgs(handle, now);
        args.Add(newHandle);
        var reply = (RedisResult[])(await SessionScripts.Rotate.EvaluateAsync(_db, [_sessionPrefix + handle, _sessionPrefix + newHandle], [.. args]))!;
        return Status(reply) switch
        {
            "ok" => new(SessionStatus.Ok, FromHash(newId, (RedisResult[])reply[1]!, null)),
            "missing" => SessionResult.NotFound,
            var other => throw Unexpected(other),
        };
    }

    /// <summary>Ends a session. False when there was none.</summary>
    public async Task<bool> DeleteAsync(string id)
    {
        if (!SessionId.IsWellFormed(id))
        {
            return false;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var handle = SessionId.Handle(id);
        var reply = await SessionScripts.Delete.EvaluateAsync(_db, [_sessionPrefix + handle], [.. CommonArgs(handle, now)]);
        return (int)reply == 1;
    }

    /// <summary>Ends every session of a principal; returns how many were live.</summary>
    public async Task<int> RevokeAllAsync(string principal)
    {
        EnsureValid(SessionRules.CheckPrincipal(principal));
        var reply = await SessionScripts.RevokeAll.EvaluateAsync(_db, [_principalPrefix + principal], [_sessionPrefix]);
        return (int)reply;
    }

    private static readonly JsonElement JsonNull = JsonDocument.Parse("null").RootElement;

    private async Task<RedisResult[]> RunAsync(RedisScript script, string id, params RedisValue[] extra)
    {
        // Built as one array (no list growth and copy): this runs on every read and write.
        var handle = SessionId.Handle(id);
        var args = new RedisValue[5 + extra.Length];
        args[0] = _sessionPrefix;
        args[1] = _principalPrefix;
        args[2] = time.GetUtcNow().ToUnixTimeMilliseconds();
        args[3] = (long)options.Value.IdleTimeout.TotalMilliseconds;
        args[4] = handle;
        extra.CopyTo(args, 5);
        return (RedisResult[])(await script.EvaluateAsync(_db, [_sessionPrefix + handle], args))!;
    }

    private List<RedisValue> CommonArgs(string handle, long now) =>
        [_sessionPrefix, _principalPrefix, now, (long)options.Value.IdleTimeout.TotalMilliseconds, handle];

    // Reads within this window of the last slide do not slide again: hot reads stay one Redis command.
    private long RefreshWindowMs => Math.Min(1000, (long)options.Value.IdleTimeout.TotalMilliseconds / 20);

    private Session FromHash(string id, RedisResult[] hash, long? lastAccess)
    {
        var metadata = new RedisValue[5];
        var json = new System.Text.StringBuilder("{");
        for (var i = 0; i < hash.Length; i += 2)
        {
            var field = (string)hash[i]!;
            var value = (RedisValue)hash[i + 1];
            if (field.StartsWith(AttributePrefix, StringComparison.Ordinal))
            {
                // Names are validated to JSON-safe characters, so one document holds every attribute: one parse per read.
                json.Append(json.Length > 1 ? ",\"" : "\"").Append(field, AttributePrefix.Length, field.Length - AttributePrefix.Length).Append("\":").Append((string?)value);
                continue;
            }

            var slot = Array.IndexOf(MetadataFields, field);
            if (slot >= 0)
            {
                metadata[slot] = value;
            }
        }

        if (lastAccess is { } last)
        {
            metadata[1] = last;
        }

        var document = JsonDocument.Parse(json.Append('}').ToString()).RootElement.Clone();
        var attributes = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in document.EnumerateObject())
        {
            attributes[property.Name] = property.Value;
        }

        var results = new RedisResult[metadata.Length];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = RedisResult.Create(metadata[i]);
        }

        return FromMetadata(id, results, attributes);
    }

    private static readonly string[] MetadataFields = ["m:created", "m:last", "m:principal", "m:version", "m:deadline"];

    private Session FromMetadata(string id, RedisResult[] metadata, IEnumerable<KeyValuePair<string, JsonElement>> attributes)
    {
        var last = (long)metadata[1];
        var deadline = (long)metadata[4];
        var principal = (string?)metadata[2];
        return new Session(
            id,
            string.IsNullOrEmpty(principal) ? null : principal,
            DateTimeOffset.FromUnixTimeMilliseconds((long)metadata[0]),
            DateTimeOffset.FromUnixTimeMilliseconds(last),
            DateTimeOffset.FromUnixTimeMilliseconds(Math.Min(last + (long)options.Value.IdleTimeout.TotalMilliseconds, deadline)),
            DateTimeOffset.FromUnixTimeMilliseconds(deadline),
            (long)metadata[3],
            attributes as Dictionary<string, JsonElement> ?? new Dictionary<string, JsonElement>(attributes, StringComparer.Ordinal));
    }

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static string Status(RedisResult[] reply) => (string)reply[0]!;

    private static void EnsureValid(SessionProblem? problem)
    {
        if (problem is not null)
        {
            throw new ArgumentException(problem.Detail);
        }
    }

    private static InvalidOperationException Unexpected(string status) => new($"Unexpected session script reply '{status}'.");
}
