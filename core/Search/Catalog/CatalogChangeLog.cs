using System.Text.Json;
using Serverless.Core.Redis;
using StackExchange.Redis;

namespace Serverless.Core.Search.Catalog;

/// <summary>
/// The catalog version and the ordered log of changes every instance replays into its own index (a Redis stream).
/// Appending bumps the version and adds the entry in one script, so every version is one entry and a change entry is
/// always the previous version + 1; only a rebase entry may jump ahead. The two keys are one aggregate under the hash
/// tag <c>{catalog}</c>, so a cluster keeps them in one slot.
/// </summary>
public sealed class CatalogChangeLog(IConnectionMultiplexer redis, RedisKeys keys)
{
    /// <summary>Entries kept; an instance further behind reloads a snapshot or rebuilds.</summary>
    public const int Retained = 1_000;

    private static readonly RedisScript Append = RedisScript.Named("search.catalog.append", ["version", "stream"], ["change", "retained"], """
        local latest = redis.call('INCR', version)
        redis.call('XADD', stream, 'MAXLEN', '~', retained, '*', 'v', latest, 'c', change)
        return latest
        """);

    // The same as Append, once per change id: the id's key holds the version the change produced, so a redelivered
    // message appends nothing and learns the version its first delivery reached. The key lives as long as a Storage
    // queue message can (7 days by default), so no redelivery outlives it; it shares the {catalog} tag with the log.
    private static readonly RedisScript AppendOnce = RedisScript.Named("search.catalog.append-once", ["version", "stream", "applied"], ["keepMs", "change", "retained"], """
        local seen = redis.call('GET', applied)
        if seen then return tonumber(seen) end
        local latest = redis.call('INCR', version)
        redis.call('XADD', stream, 'MAXLEN', '~', retained, '*', 'v', latest, 'c', change)
        redis.call('SET', applied, latest, 'PX', keepMs)
        return latest
        """);

    private static readonly TimeSpan AppliedIdsKept = TimeSpan.FromDays(7);

    // After Redis lost its data the version restarts below what instances have seen, and cache keys carry the version:
    // an instance that notices raises it above its own floor (and above whatever was appended since) in one step, and
    // leaves a marker entry without a change naming the version it raised from: an index at exactly that version has
    // missed nothing and follows the jump; any other index rebuilds.
    private static readonly RedisScript Rebase = RedisScript.Named("search.catalog.rebase", ["version", "stream"], ["floor", "retained"], """
        local current = tonumber(redis.call('GET', version) or '0')
        local latest = math.max(current, tonumber(floor)) + 1
        redis.call('SET', version, latest)
        local id = redis.call('XADD', stream, 'MAXLEN', '~', retained, '*', 'v', latest, 'f', current)
        return {latest, id}
        """);

    private readonly IDatabase _db = redis.GetDatabase();
    private readonly RedisKey _version = keys.Tagged("search", "catalog", "version");
    private readonly RedisKey _stream = keys.Tagged("search", "catalog", "changes");

    /// <summary>
    /// Records a change that is already in the catalog store; returns the new catalog version. A change with an
    /// <see cref="CatalogChange.Id"/> already appended is not appended again: the version it produced then is returned.
    /// </summary>
    public async Task<long> AppendAsync(CatalogChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var payload = JsonSerializer.Serialize(change, CatalogJson.Default.CatalogChange);
        var call = change.Id is null
            ? Append.Call().Key("version", _version).Key("stream", _stream)
            : AppendOnce.Call().Key("version", _version).Key("stream", _stream).Key("applied", keys.Tagged("search", "catalog", "applied", change.Id))
                .Arg("keepMs", (long)AppliedIdsKept.TotalMilliseconds);
        return (long)await call.Arg("change", payload).Arg("retained", Retained).EvaluateAsync(_db);
    }

    /// <summary>
    /// Raises the version above both <paramref name="floor"/> and the current one and logs a rebase marker; returns the
    /// marker's id and version, the log position of an index rebuilt from the catalog right after.
    /// </summary>
    public async Task<(string Id, long Version)> RebaseAsync(long floor)
    {
        var result = (RedisResult[])(await Rebase.Call().Key("version", _version).Key("stream", _stream).Arg("floor", floor).Arg("retained", Retained).EvaluateAsync(_db))!;
        return ((string)result[1]!, (long)result[0]);
    }

    /// <summary>The latest version (0 when nothing was ever changed).</summary>
    public async Task<long> CurrentVersionAsync() => (long?)await _db.StringGetAsync(_version) ?? 0;

    /// <summary>Entries after <paramref name="afterId"/> in order (at most <paramref name="count"/>).</summary>
    public async Task<IReadOnlyList<LoggedChange>> ReadAfterAsync(string afterId, int count = 100)
    {
        var entries = await _db.StreamRangeAsync(_stream, minId: "(" + afterId, count: count);
        return entries.Select(e => e["f"].IsNull
            ? new LoggedChange(e.Id!, (long)e["v"], JsonSerializer.Deserialize((string)e["c"]!, CatalogJson.Default.CatalogChange)!)
            : new LoggedChange(e.Id!, (long)e["v"], new CatalogChange([], []), RebasedFrom: (long)e["f"])).ToList();
    }

    /// <summary>The id and version of the newest entry, or ("0-0", 0).</summary>
    public async Task<(string Id, long Version)> TailAsync()
    {
        var last = await _db.StreamRangeAsync(_stream, count: 1, messageOrder: Order.Descending);
        return last.Length == 0 ? ("0-0", 0) : (last[0].Id!, (long)last[0]["v"]);
    }
}

/// <summary>A change as read back from the log.</summary>
/// <param name="Id">Stream entry id.</param>
/// <param name="Version">Catalog version this change produced.</param>
/// <param name="Change">The change (empty for a rebase).</param>
/// <param name="RebasedFrom">For a rebase marker (see <see cref="CatalogChangeLog.RebaseAsync"/>), the version it raised from; otherwise null.</param>
public sealed record LoggedChange(string Id, long Version, CatalogChange Change, long? RebasedFrom = null)
{
    /// <summary>Whether an index at <paramref name="version"/> can apply this entry next without having missed any.</summary>
    public bool Follows(long version) => RebasedFrom is { } from ? from == version : Version == version + 1;
}
