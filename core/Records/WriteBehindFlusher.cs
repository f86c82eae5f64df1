using System.Globalization;
using Azure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Core.Redis;
using Serverless.Core.Storage;
using StackExchange.Redis;

namespace Serverless.Core.Records;

/// <summary>
/// Writes write-behind collections' dirty logs to the table: reads a batch as this instance's consumer of the
/// <c>flushers</c> group, keeps the latest version per key, writes those (newer-only), and only then acknowledges and
/// deletes the log entries. Entries another instance read and never acknowledged (it died) are claimed with XAUTOCLAIM
/// once idle for <see cref="RecordsOptions.ClaimAfter"/> and written again; the newer-only write makes that harmless.
/// </summary>
/// <remarks>
/// A hosted service rather than a timer function: a timer trigger fires at most once a second and each firing is an
/// invocation with its own start-up; this loop flushes within <see cref="RecordsOptions.FlushInterval"/> and runs in
/// every worker (isolated workers run hosted services, as <c>IndexSynchronizer</c> does). On a plan that scales to
/// zero, the log waits in Redis (durable there, see the restart caveat in docs) until an instance starts again.
/// </remarks>
internal sealed partial class WriteBehindFlusher(
    RecordCollections collections,
    IConnectionMultiplexer redis,
    RecordKeys keys,
    RecordTable table,
    RecordFaults faults,
    IOptions<RecordsOptions> options,
    TimeProvider time,
    ILogger<WriteBehindFlusher> logger) : BackgroundService
{
    /// <summary>The consumer group every instance's flusher reads in.</summary>
    public const string Group = "flushers";

    private readonly string _consumer = Guid.NewGuid().ToString("N")[..12];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _grouped = new(StringComparer.Ordinal);
    private long _flushed;

    /// <summary>Records written to the table by this instance so far (each coalesced key counts once).</summary>
    public long Flushed => Interlocked.Read(ref _flushed);

    private IDatabase Db => redis.GetDatabase();

    private IEnumerable<RecordCollection> Dirty => collections.All.Where(c => c.Policy == WritePolicy.WriteBehind);

    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The groups (and their streams) exist before the app serves, so no later flush creates a key out of the blue.
        try
        {
            await EnsureGroupsAsync();
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            LogFlushFailed(logger, ex);
        }

        await base.StartAsync(cancellationToken);
    }

    /// <summary>One pass over every write-behind collection; the number of log entries handled.</summary>
    public async Task<int> FlushOnceAsync(CancellationToken ct)
    {
        await RecordFaults.RunAsync(faults.BeforeFlush, ct);
        var handled = 0;
        foreach (var collection in Dirty)
        {
            handled += await FlushAsync(collection, ct);
        }

        return handled;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Dirty.Any())
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await FlushOnceAsync(stoppingToken) == 0)
                {
                    await Task.Delay(options.Value.FlushInterval, time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            // StorageOutage too: once the SDK's retries give up it throws an AggregateException, not a
            // RequestFailedException, and an uncaught one ended this loop for good at the first long Storage outage.
            catch (Exception ex) when (RedisOutage.Is(ex) || StorageOutage.Is(ex) || ex is RequestFailedException || IsNoGroup(ex))
            {
                // What was read and not acknowledged stays pending and is claimed again after ClaimAfter.
                LogFlushFailed(logger, ex);
                _grouped.Clear();
                await Task.Delay(options.Value.FlushInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<int> FlushAsync(RecordCollection collection, CancellationToken ct)
    {
        var log = keys.Log(collection);
        await EnsureGroupAsync(log);
        var batch = options.Value.FlushBatch;
        var claimed = await Db.StreamAutoClaimAsync(log, Group, _consumer, (long)options.Value.ClaimAfter.TotalMilliseconds, "0-0", batch);
        var fresh = await Db.StreamReadGroupAsync(log, Group, _consumer, ">", batch);
        var entries = claimed.ClaimedEntries.Concat(fresh).Where(e => !e.IsNull).ToList();
        if (entries.Count == 0)
        {
            return 0;
        }

        var latest = entries.Select(Parse).OfType<RecordWrite>()
            .GroupBy(w => w.Key, StringComparer.Ordinal)
            .Select(g => g.MaxBy(w => w.Version)!)
            .ToList();
        await table.WriteIfNewerAsync(collection.Name, latest, ct);
        await RecordFaults.RunAsync(faults.AfterTableWrite, ct);

        var call = WriteBehindScripts.Flushed.Call(restKeys: latest.Count, restArgs: latest.Count + entries.Count)
            .Key("log", log)
            .Arg("group", Group)
            .Arg("ttlMs", (long)collection.Options.Ttl.TotalMilliseconds);
        foreach (var write in latest)
        {
            call.RestKey(keys.Entry(collection, write.Key));
        }

        foreach (var write in latest)
        {
            call.RestArg(write.Version);
        }

        foreach (var entry in entries)
        {
            call.RestArg(entry.Id);
        }

        await call.EvaluateAsync(Db);
        Interlocked.Add(ref _flushed, latest.Count);
        return entries.Count;
    }

    private async Task EnsureGroupsAsync()
    {
        foreach (var collection in Dirty)
        {
            await EnsureGroupAsync(keys.Log(collection));
        }
    }

    // From id 0, so a log that was written before its group existed (after a Redis restart) is flushed whole.
    private async Task EnsureGroupAsync(RedisKey log)
    {
        if (_grouped.ContainsKey(log!))
        {
            return;
        }

        try
        {
            await Db.StreamCreateConsumerGroupAsync(log, Group, "0-0", createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another instance (or an earlier run) made it.
        }

        _grouped[log!] = true;
    }

    private static RecordWrite? Parse(StreamEntry entry)
    {
        var key = (string?)entry["k"];
        return key is null || !long.TryParse((string?)entry["v"], CultureInfo.InvariantCulture, out var version)
            ? null
            : new RecordWrite(key, version, (string?)entry["s"] == "x", (byte[]?)entry["d"] ?? []);
    }

    private static bool IsNoGroup(Exception ex) => ex is RedisServerException server && server.Message.StartsWith("NOGROUP", StringComparison.Ordinal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Write-behind flush failed; unacknowledged entries stay pending and are claimed again.")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
