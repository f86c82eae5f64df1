using Microsoft.Extensions.Logging;
using Serverless.Core.Caching;
using Serverless.Core.Redis;
using StackExchange.Redis;

namespace Serverless.Core.Records;

/// <summary>
/// Cached records: reads go L1 → Redis → table and fill back with version checks; writes follow the collection's
/// policy. Every fill and set goes through <see cref="VersionedCache"/>, so none replaces a newer version, and every
/// write is published on the <see cref="InvalidationBackplane"/> so other instances drop their L1.
/// </summary>
public sealed partial class RecordStore
{
    // A table write lost to another writer (no If-Match) is tried again this often before the store gives up.
    private const int MaxAttempts = 8;

    private readonly RecordCollections _collections;
    private readonly VersionedCache _l2;
    private readonly InvalidationBackplane _backplane;
    private readonly RecordTable _table;
    private readonly RecordKeys _keys;
    private readonly IConnectionMultiplexer _redis;
    private readonly RecordFaults _faults;
    private readonly ILogger<RecordStore> _logger;

    internal RecordStore(
        RecordCollections collections, VersionedCache l2, InvalidationBackplane backplane, RecordTable table, RecordKeys keys,
        IConnectionMultiplexer redis, RecordFaults faults, ILogger<RecordStore> logger)
    {
        _collections = collections;
        _l2 = l2;
        _backplane = backplane;
        _table = table;
        _keys = keys;
        _redis = redis;
        _faults = faults;
        _logger = logger;
    }

    /// <summary>The configured collection named <paramref name="name"/>, if any.</summary>
    public RecordCollection? Collection(string? name) => _collections.Find(name);

    /// <summary>Reads a record from the first layer that holds it.</summary>
    public async Task<RecordResult> GetAsync(string collection, string key, CancellationToken ct = default)
    {
        if (_collections.Find(collection) is not { } c)
        {
            return RecordResult.Of(RecordStatus.UnknownCollection);
        }

        var useL1 = await L1UsableAsync(c);
        if (useL1 && c.L1.TryGet(key, out var local))
        {
            return Answer(local, CacheLayer.L1);
        }

        var epoch = c.L1.Epoch(key);
        var entryKey = _keys.Entry(c, key);
        if (await _l2.GetAsync(entryKey) is { Answers: true } shared)
        {
            if (useL1)
            {
                c.L1.TrySet(key, shared, epoch);
            }

            return Answer(shared, CacheLayer.L2);
        }

        // A fill that began before a Redis outage may carry data older than a write whose marker the outage erased.
        var connection = _backplane.ConnectionEpoch;
        var row = await _table.GetAsync(c.Name, key, ct);
        var entry = row is null
            ? new CacheEntry(0, CacheEntryState.Absent, ReadOnlyMemory<byte>.Empty)
            : new CacheEntry(row.Version, row.Deleted ? CacheEntryState.Absent : CacheEntryState.Present, row.Data);
        await RecordFaults.RunAsync(_faults.BeforeFill, ct);
        if (connection == _backplane.ConnectionEpoch && await _l2.SetIfNewerAsync(entryKey, entry, c.Options.Ttl) && useL1)
        {
            c.L1.TrySet(key, entry, epoch);
        }

        return Answer(entry, CacheLayer.Table);
    }

    /// <summary>Writes <paramref name="data"/> (JSON) as the record's next version if <paramref name="precondition"/> holds.</summary>
    public Task<RecordResult> PutAsync(string collection, string key, ReadOnlyMemory<byte> data, RecordPrecondition precondition, CancellationToken ct = default) =>
        WriteAsync(collection, key, data, deleted: false, precondition, ct);

    /// <summary>Deletes the record (a tombstone at the next version, so versions keep growing) if <paramref name="precondition"/> holds.</summary>
    public Task<RecordResult> DeleteAsync(string collection, string key, RecordPrecondition precondition, CancellationToken ct = default) =>
        WriteAsync(collection, key, ReadOnlyMemory<byte>.Empty, deleted: true, precondition, ct);

    private async Task<RecordResult> WriteAsync(string collection, string key, ReadOnlyMemory<byte> data, bool deleted, RecordPrecondition precondition, CancellationToken ct)
    {
        if (_collections.Find(collection) is not { } c)
        {
            return RecordResult.Of(RecordStatus.UnknownCollection);
        }

        var epoch = c.L1.Epoch(key);
        var result = c.Policy == WritePolicy.WriteBehind
            ? await WriteBehindAsync(c, key, data, deleted, precondition, ct)
            : await WriteTableFirstAsync(c, key, data, deleted, precondition, ct);
        if (result.Status is RecordStatus.Ok or RecordStatus.Created)
        {
            await AfterWriteAsync(c, key, new CacheEntry(result.Version, deleted ? CacheEntryState.Absent : CacheEntryState.Present, data), epoch);
        }

        return result;
    }

    // cache-aside, write-through and write-around: the marker "invalidated at v+1" goes to Redis before the table
    // write, so a fill of v that is still in flight cannot land after it (see VersionedCacheScripts). If Redis is
    // down the write fails before the table is touched; if the write then loses to another writer, the marker is
    // that writer's version, which is correct too.
    private async Task<RecordResult> WriteTableFirstAsync(RecordCollection c, string key, ReadOnlyMemory<byte> data, bool deleted, RecordPrecondition precondition, CancellationToken ct)
    {
        var entryKey = _keys.Entry(c, key);
        for (var attempt = 1; ; attempt++)
        {
            var current = await _table.GetAsync(c.Name, key, ct);
            var version = current?.Version ?? 0;
            var exists = current?.Exists ?? false;
            if (!precondition.IsMetBy(version, exists))
            {
                return RecordResult.Of(RecordStatus.PreconditionFailed, version);
            }

            if (deleted && !exists)
            {
                return RecordResult.Of(RecordStatus.NotFound, version);
            }

            var next = version + 1;
            await _l2.InvalidateAsync(entryKey, next, c.Options.Ttl);
            if (await _table.TryWriteAsync(c.Name, new RecordWrite(key, next, deleted, data), current, ct))
            {
                if (c.Policy == WritePolicy.WriteThrough)
                {
                    await BestEffortAsync(() => _l2.SetIfNewerAsync(entryKey, new CacheEntry(next, deleted ? CacheEntryState.Absent : CacheEntryState.Present, data), c.Options.Ttl));
                }

                return RecordResult.Of(exists ? RecordStatus.Ok : RecordStatus.Created, next);
            }

            if (precondition != RecordPrecondition.None || attempt == MaxAttempts)
            {
                var now = await _table.GetAsync(c.Name, key, ct);
                return RecordResult.Of(RecordStatus.PreconditionFailed, now?.Version ?? 0);
            }
        }
    }

    private async Task<RecordResult> WriteBehindAsync(RecordCollection c, string key, ReadOnlyMemory<byte> data, bool deleted, RecordPrecondition precondition, CancellationToken ct)
    {
        var entryKey = _keys.Entry(c, key);
        var outcome = await WriteBehindOnceAsync(c, entryKey, key, data, deleted, precondition, null);
        if (outcome.Code == WriteBehindScripts.NeedsBase)
        {
            outcome = await WriteBehindOnceAsync(c, entryKey, key, data, deleted, precondition, await _table.GetAsync(c.Name, key, ct) ?? Never);
        }

        return outcome.Code switch
        {
            WriteBehindScripts.Written => RecordResult.Of(outcome.Existed ? RecordStatus.Ok : RecordStatus.Created, outcome.Version),
            WriteBehindScripts.Mismatch => RecordResult.Of(RecordStatus.PreconditionFailed, outcome.Version),
            WriteBehindScripts.Missing => RecordResult.Of(RecordStatus.NotFound, outcome.Version),
            _ => throw new InvalidOperationException($"records.wb_write answered {outcome.Code} with a base version."),
        };
    }

    private static readonly StoredRecord Never = new(0, true, ReadOnlyMemory<byte>.Empty, default);

    private async Task<(long Code, long Version, bool Existed)> WriteBehindOnceAsync(
        RecordCollection c, RedisKey entryKey, string key, ReadOnlyMemory<byte> data, bool deleted, RecordPrecondition precondition, StoredRecord? baseRow)
    {
        var result = (RedisResult[])(await WriteBehindScripts.Write.Call()
            .Key("entry", entryKey)
            .Key("log", _keys.Log(c))
            .Arg("expected", precondition.Lua)
            .Arg("baseVersion", baseRow is null ? "" : baseRow.Version)
            .Arg("baseExists", baseRow is { Exists: true } ? "1" : "0")
            .Arg("state", deleted ? "x" : "p")
            .Arg("data", data)
            .Arg("key", key)
            .EvaluateAsync(_redis.GetDatabase()))!;
        return ((long)result[0], (long)result[1], (long)result[2] == 1);
    }

    // After the write is durable (table, or the Redis dirty log): this instance's L1 takes the new version, and every
    // instance is told to drop older ones. Neither is needed for safety once the write landed (Redis holds the marker
    // or the new version), so a Redis error here is logged, not failed: the write stays acknowledged, and a lost
    // connection clears every L1 anyway.
    private async Task AfterWriteAsync(RecordCollection c, string key, CacheEntry entry, long epoch)
    {
        if (!(c.Policy is WritePolicy.WriteThrough or WritePolicy.WriteBehind && await L1UsableAsync(c) && c.L1.TrySet(key, entry, epoch)))
        {
            // Whatever this instance holds is older than the write its caller was just told about.
            c.L1.Drop(key, entry.Version);
        }

        await BestEffortAsync(() => _backplane.PublishAsync(c.Name, key, entry.Version));
    }

    private async Task<bool> L1UsableAsync(RecordCollection c)
    {
        if (c.L1.Capacity == 0)
        {
            return false;
        }

        try
        {
            await _backplane.ListenAsync();
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            return false;
        }

        return _backplane.Trusted;
    }

    private async Task BestEffortAsync(Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            LogAfterWriteFailed(_logger, ex);
        }
    }

    private static RecordResult Answer(CacheEntry entry, CacheLayer layer) => entry.State == CacheEntryState.Present
        ? new RecordResult(RecordStatus.Ok, entry.Version, entry.Data, layer)
        : RecordResult.Of(RecordStatus.NotFound, entry.Version, layer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A record write landed, but updating the cache after it failed; L1 of other instances may lag until their connection check clears it.")]
    private static partial void LogAfterWriteFailed(ILogger logger, Exception exception);
}
