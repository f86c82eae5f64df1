using System.Text.Json;
using Serverless.Core.Records;
using StackExchange.Redis;

namespace Serverless.Tests.Records;

/// <summary>What a checker client calls: one instance's records path.</summary>
internal interface IRecordClient
{
    int Instance { get; }

    Task<(long Version, CacheLayer Layer)> ReadAsync(string key, CancellationToken ct);

    /// <summary>The version written, or null when the write was refused (lost every retry to other writers).</summary>
    Task<long?> WriteAsync(string key, string writeId, CancellationToken ct);
}

/// <summary>The real store of one app instance.</summary>
internal sealed class StoreClient(RecordApp app, int instance, string collection) : IRecordClient
{
    public int Instance => instance;

    public async Task<(long Version, CacheLayer Layer)> ReadAsync(string key, CancellationToken ct)
    {
        var read = await app.Store.GetAsync(collection, key, ct);
        return (read.Version, read.Layer);
    }

    public async Task<long?> WriteAsync(string key, string writeId, CancellationToken ct)
    {
        var written = await app.Store.PutAsync(collection, key, JsonSerializer.SerializeToUtf8Bytes(new { w = writeId }), RecordPrecondition.None, ct);
        return written.Status is RecordStatus.Ok or RecordStatus.Created ? written.Version : null;
    }
}

/// <summary>
/// The control: textbook cache-aside with no versions — fill with a plain SET after a table read, invalidate with DEL
/// after a table write. A fill that stalls past a write puts the old value back, which the checker must find.
/// </summary>
internal sealed class UnversionedCacheAside(RecordApp app, int instance, string collection, Func<CancellationToken, Task> stall) : IRecordClient
{
    private readonly RecordTable _table = app.Get<RecordTable>();

    public int Instance => instance;

    private RedisKey Key(string key) => app.Prefix + "control:" + key;

    public async Task<(long Version, CacheLayer Layer)> ReadAsync(string key, CancellationToken ct)
    {
        var cached = await app.Database.StringGetAsync(Key(key));
        if (cached.HasValue)
        {
            return ((long)cached, CacheLayer.L2);
        }

        var row = await _table.GetAsync(collection, key, ct);
        await stall(ct);
        await app.Database.StringSetAsync(Key(key), row?.Version ?? 0);
        return (row?.Version ?? 0, CacheLayer.Table);
    }

    public async Task<long?> WriteAsync(string key, string writeId, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var current = await _table.GetAsync(collection, key, ct);
            var next = (current?.Version ?? 0) + 1;
            if (await _table.TryWriteAsync(collection, new RecordWrite(key, next, false, JsonSerializer.SerializeToUtf8Bytes(new { w = writeId })), current, ct))
            {
                await app.Database.KeyDeleteAsync(Key(key));
                return next;
            }
        }

        return null;
    }
}
