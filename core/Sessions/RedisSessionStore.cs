using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Serverless.Core.Redis;
using Serverless.Core.Telemetry;
using StackExchange.Redis;

namespace Serverless.Core.Sessions;

/// <summary>
/// Sessions in Redis: one hash per session so concurrent writers of different attributes never overwrite each other
/// (a JSON-blob session loses one of two concurrent updates), every operation on one session one atomic Lua round
/// trip. Operations that also change the principal's index (create, rotate, delete, revoke) take one single-slot step
/// per aggregate, ordered as <see cref="PrincipalIndex"/> explains.
/// </summary>
public sealed class RedisSessionStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<SessionOptions> options, SessionRules rules, TimeProvider time)
{
    private const string AttributePrefix = SessionHash.AttributePrefix;

    private readonly IDatabase _db = redis.GetDatabase();
    private readonly SessionKeys _keys = new(keys);
    private PrincipalIndex? _index;

    /// <summary>Called between the steps of a multi-step operation (see <see cref="SessionSteps"/>); tests stop there.</summary>
    internal Func<string, Task>? BetweenSteps { get; set; }

    private PrincipalIndex Index => _index ??= new(_db, _keys, StepAsync);

    /// <summary>Creates a session, optionally bound to a principal, with initial attributes.</summary>
    public async Task<SessionResult> CreateAsync(string? principal, IReadOnlyDictionary<string, JsonElement>? attributes = null)
    {
        attributes ??= new Dictionary<string, JsonElement>();
        EnsureValid(rules.Check(attributes) ?? SessionRules.CheckPrincipal(principal));
        var limits = options.Value;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var deadline = now + (long)limits.AbsoluteLifetime.TotalMilliseconds;
        var id = SessionId.New();
        var handle = SessionId.Handle(id);
        var kept = attributes.Where(a => a.Value.ValueKind != JsonValueKind.Null).ToList();
        var call = SessionScripts.Create.Call(restArgs: 2 * kept.Count)
            .Key("session", _keys.Session(handle))
            .Arg("now", now)
            .Arg("idle", IdleMs)
            .Arg("principal", principal ?? "")
            .Arg("deadlineAt", deadline);
        foreach (var (name, value) in kept)
        {
            call.RestArg(AttributePrefix + name).RestArg(value.GetRawText());
        }

        var reply = (RedisResult[])(await call.EvaluateAsync(_db))!;
        if (Status(reply) != "ok")
        {
            throw Unexpected(Status(reply));
        }

        if (principal is not null)
        {
            await StepAsync(SessionSteps.CreateWritten);
            if (!await Index.AdmitAsync(principal, handle, now, deadline - now, limits))
            {
                await _db.KeyDeleteAsync(_keys.Session(handle));
                return SessionMetrics.Counted("create", new(SessionStatus.PrincipalLimitReached));
            }
        }

        return SessionMetrics.Counted("create", new(SessionStatus.Ok, FromMetadata(id, (RedisResult[])reply[1]!, kept)));
    }

    /// <summary>The whole session; slides its expiry.</summary>
    public async Task<SessionResult> GetAsync(string id)
    {
        if (!SessionId.IsWellFormed(id))
        {
            return SessionResult.NotFound;
        }

        var handle = SessionId.Handle(id);
        var key = _keys.Session(handle);

        // Most reads need no script (a Lua call costs Redis more than this read): while the last slide is fresh and the
        // deadline ahead, a plain HGETALL is the whole answer. Otherwise the script looks again, atomically, and
        // slides the expiry or ends the session.
        var hash = await _db.HashGetAllAsync(key);
        if (hash.Length == 0)
        {
            return SessionMetrics.Counted("get", SessionResult.NotFound);
        }

        var now = Now;
        if (SessionHash.TryReadMetadata(hash, out var metadata) && now < metadata.Deadline && now - metadata.Last < RefreshWindowMs)
        {
            return SessionMetrics.Counted("get", new SessionResult(SessionStatus.Ok, ToSession(id, metadata, SessionHash.Attributes(hash))));
        }

        var reply = await RunOnSessionAsync(handle, SessionScripts.GetAll.Call().Key("session", key).Arg("now", now).Arg("idle", IdleMs).Arg("fresh", RefreshWindowMs));
        return SessionMetrics.Counted("get", Status(reply) == "ok" ? new(SessionStatus.Ok, FromHash(id, (RedisResult[])reply[1]!, (long)reply[2])) : SessionResult.NotFound);
    }

    /// <summary>The session's metadata and one attribute (absent from the result if not set); slides its expiry.</summary>
    public async Task<SessionResult> GetAttributeAsync(string id, string name)
    {
        if (!SessionId.IsWellFormed(id) || !SessionRules.IsValidName(name))
        {
            return SessionResult.NotFound;
        }

        var handle = SessionId.Handle(id);
        var reply = await RunOnSessionAsync(handle, SessionScripts.GetOne.Call().Key("session", _keys.Session(handle)).Arg("now", Now).Arg("idle", IdleMs).Arg("field", AttributePrefix + name));
        if (Status(reply) != "ok")
        {
            return SessionMetrics.Counted("get-attribute", SessionResult.NotFound);
        }

        var value = (string?)reply[2];
        var attributes = value is null ? [] : new[] { KeyValuePair.Create(name, Parse(value)) };
        return SessionMetrics.Counted("get-attribute", new(SessionStatus.Ok, FromMetadata(id, (RedisResult[])reply[1]!, attributes)));
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

        // This is the hot write path: one exactly sized call, set pairs first and then the fields to delete.
        var removals = 0;
        foreach (var change in changes)
        {
            removals += change.Value.ValueKind == JsonValueKind.Null ? 1 : 0;
        }

        var sets = changes.Count - removals;
        var handle = SessionId.Handle(id);
        var call = SessionScripts.Update.Call(restArgs: (2 * sets) + removals)
            .Key("session", _keys.Session(handle))
            .Arg("now", Now)
            .Arg("idle", IdleMs)
            .Arg("expected", expectedVersion?.ToString(CultureInfo.InvariantCulture) ?? "")
            .Arg("max", options.Value.MaxAttributes)
            .Arg("sets", sets);
        foreach (var (name, value) in changes)
        {
            if (value.ValueKind != JsonValueKind.Null)
            {
                call.RestArg(AttributePrefix + name).RestArg(value.GetRawText());
            }
        }

        foreach (var (name, value) in changes)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                call.RestArg(AttributePrefix + name);
            }
        }

        var reply = await RunOnSessionAsync(handle, call);
        return SessionMetrics.Counted("update", Status(reply) switch
        {
            "ok" => new(SessionStatus.Ok, FromMetadata(id, (RedisResult[])reply[1]!, [])),
            "missing" => SessionResult.NotFound,
            "version" => new(SessionStatus.VersionMismatch),
            "toomany" => new(SessionStatus.TooManyAttributes),
            var other => throw Unexpected(other),
        });
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

        var handle = SessionId.Handle(id);
        var reply = await RunOnSessionAsync(handle, SessionScripts.Touch.Call().Key("session", _keys.Session(handle)).Arg("now", Now).Arg("idle", IdleMs));
        return SessionMetrics.Counted("touch", Status(reply) == "ok" ? new(SessionStatus.Ok, FromMetadata(id, (RedisResult[])reply[1]!, [])) : SessionResult.NotFound);
    }

    /// <summary>
    /// Moves the session to a new id (fixation defence): data and deadline kept, the old id dead at once. The old and
    /// new session are in different slots: the old one is deleted first and the new id is handed out only once the
    /// principal's index lists it, so a crash at any step between loses the session (the user signs in again) but
    /// never leaves two usable ids, or one that revoking the principal misses. A rotation whose old handle left the
    /// index meanwhile (revoked, evicted, or dropped as dead by a login at the limit) fails closed the same way.
    /// </summary>
    public async Task<SessionResult> RotateAsync(string id)
    {
        if (!SessionId.IsWellFormed(id))
        {
            return SessionResult.NotFound;
        }

        var newId = SessionId.New();
        var (handle, newHandle) = (SessionId.Handle(id), SessionId.Handle(newId));
        var newKey = _keys.Session(newHandle);
        var retired = await RunOnSessionAsync(handle, SessionScripts.Retire.Call().Key("session", _keys.Session(handle)).Arg("now", Now).Arg("idle", IdleMs));
        if (Status(retired) != "ok")
        {
            return SessionMetrics.Counted("rotate", SessionResult.NotFound);
        }

        await StepAsync(SessionSteps.RotateRetired);
        var fields = (RedisResult[])retired[1]!;
        var adopt = SessionScripts.Adopt.Call(restArgs: fields.Length).Key("session", newKey).Arg("now", Now).Arg("idle", IdleMs);
        foreach (var field in fields)
        {
            adopt.RestArg((RedisValue)field);
        }

        var adopted = await RunAsync(adopt);
        if (Status(adopted) != "ok")
        {
            throw Unexpected(Status(adopted));
        }

        var session = FromHash(newId, (RedisResult[])adopted[1]!, null);
        if (session.Principal is { } principal)
        {
            await StepAsync(SessionSteps.RotateAdopted);
            if (!await Index.MoveAsync(principal, handle, newHandle))
            {
                // Revoked (or evicted) while rotating: the new session must not outlive that.
                await _db.KeyDeleteAsync(newKey);
                return SessionMetrics.Counted("rotate", SessionResult.NotFound);
            }
        }

        return SessionMetrics.Counted("rotate", new(SessionStatus.Ok, session));
    }

    /// <summary>Ends a session. False when there was none.</summary>
    public async Task<bool> DeleteAsync(string id)
    {
        if (!SessionId.IsWellFormed(id))
        {
            return false;
        }

        var handle = SessionId.Handle(id);
        var reply = await RunAsync(SessionScripts.Delete.Call().Key("session", _keys.Session(handle)));
        SessionMetrics.Count("delete", (int)reply[0] == 0 ? SessionStatus.NotFound : SessionStatus.Ok);
        if ((int)reply[0] == 0)
        {
            return false;
        }

        if ((string?)reply[1] is { Length: > 0 } principal)
        {
            await StepAsync(SessionSteps.DeleteEnded);
            await Index.ForgetAsync(principal, handle);
        }

        return true;
    }

    /// <summary>Ends every session of a principal; returns how many were live.</summary>
    public Task<int> RevokeAllAsync(string principal)
    {
        EnsureValid(SessionRules.CheckPrincipal(principal));
        return Index.RevokeAllAsync(principal);
    }

    private static readonly JsonElement JsonNull = JsonDocument.Parse("null").RootElement;

    private async Task<RedisResult[]> RunAsync(ScriptCall call) => (RedisResult[])(await call.EvaluateAsync(_db))!;

    // A script that found the session past its deadline deleted it and names its principal: the index entry goes too.
    private async Task<RedisResult[]> RunOnSessionAsync(string handle, ScriptCall call)
    {
        var reply = await RunAsync(call);
        if (reply.Length > 1 && Status(reply) == "missing" && (string?)reply[1] is { Length: > 0 } principal)
        {
            await Index.ForgetAsync(principal, handle);
        }

        return reply;
    }

    private Task StepAsync(string step) => BetweenSteps?.Invoke(step) ?? Task.CompletedTask;

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private long IdleMs => (long)options.Value.IdleTimeout.TotalMilliseconds;

    // Reads within this window of the last slide do not slide again: hot reads stay one Redis command.
    private long RefreshWindowMs => Math.Min(1000, (long)options.Value.IdleTimeout.TotalMilliseconds / 20);

    private Session FromHash(string id, RedisResult[] reply, long? lastAccess)
    {
        var hash = SessionHash.FromReply(reply);
        SessionHash.TryReadMetadata(hash, out var metadata);
        return ToSession(id, lastAccess is { } last ? metadata with { Last = last } : metadata, SessionHash.Attributes(hash));
    }

    private Session ToSession(string id, SessionHash.Metadata m, Dictionary<string, JsonElement> attributes)
    {
        var principal = (string?)m.Principal;
        return new Session(
            id,
            string.IsNullOrEmpty(principal) ? null : principal,
            DateTimeOffset.FromUnixTimeMilliseconds(m.Created),
            DateTimeOffset.FromUnixTimeMilliseconds(m.Last),
            DateTimeOffset.FromUnixTimeMilliseconds(Math.Min(m.Last + IdleMs, m.Deadline)),
            DateTimeOffset.FromUnixTimeMilliseconds(m.Deadline),
            m.Version,
            attributes);
    }

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
