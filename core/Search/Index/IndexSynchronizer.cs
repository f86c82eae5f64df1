using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search.Catalog;

namespace Serverless.Core.Search.Index;

/// <summary>
/// Keeps this instance's index current: loads a snapshot (or rebuilds from the catalog) at start, then replays
/// the change log every <see cref="SearchOptions.SyncInterval"/>, so a change is searchable everywhere within a second.
/// Also flushes hot-query counts on the same beat.
/// </summary>
public sealed partial class IndexSynchronizer(
    SearchIndex index, IndexSnapshots snapshots, CatalogStore catalog, CatalogChangeLog log, HotQueries hot,
    IOptions<SearchOptions> options, TimeProvider time, ILogger<IndexSynchronizer> logger) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _reloads;

    /// <summary>Times this instance replaced its whole index after start-up (the log could not bring it up to date).</summary>
    public int Reloads => Volatile.Read(ref _reloads);

    /// <summary>Opens the index from the latest snapshot, or rebuilds it from the catalog when there is none.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        if (!await TryLoadSnapshotAsync(cancellationToken))
        {
            // Note the log position first: changes made while we read the catalog are replayed afterwards.
            var (changeId, version) = await log.TailAsync();
            await RebuildAsync(changeId, version, cancellationToken);
        }
    }

    /// <summary>Applies pending change-log entries; returns how many. Reloads when entries were missed.</summary>
    public async Task<int> SyncOnceAsync(CancellationToken cancellationToken = default)
    {
        await index.Ready.WaitAsync(cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var applied = 0;
            var triedSnapshot = false;
            while (true)
            {
                var entries = await log.ReadAfterAsync(index.LastChangeId);
                if (entries.Count == 0)
                {
                    // Nothing after our position, yet the version moved (either way): Redis lost its data, or entries
                    // were added with ids below ours (a new server whose clock is behind). The version is read first
                    // and the log again after it: an append writes both in one script, so an entry behind a version
                    // we saw is in the log by then. Without the second read, a change appended between our two reads
                    // looked like lost data and set off a needless rebase and rebuild.
                    if (await log.CurrentVersionAsync() == index.Version)
                    {
                        return applied;
                    }

                    if ((await log.ReadAfterAsync(index.LastChangeId)).Count > 0)
                    {
                        continue;
                    }

                    await RebaseAsync(cancellationToken);
                    continue;
                }

                var next = entries.TakeWhile((e, i) => e.Follows(i == 0 ? index.Version : entries[i - 1].Version)).ToList();
                if (next.Count > 0)
                {
                    index.Apply([.. next.Select(e => (e.Change, e.Version, e.Id))]);
                    applied += next.Count;
                }
                else if (entries[0].Version <= index.Version || entries[0].RebasedFrom is not null)
                {
                    // The log restarted below us, or another instance already found it so and raised the version
                    // from a position that is not ours: Redis lost its data (restart without persistence, failover,
                    // a new server, renamed keys), and with it entries we never applied.
                    await RebaseAsync(cancellationToken);
                }
                else
                {
                    // Trimmed past us. A snapshot helps only when it reaches the log; otherwise the catalog does, so
                    // this never reloads the same snapshot twice.
                    LogGap(logger, index.Version, entries[0].Version);
                    Interlocked.Increment(ref _reloads);
                    if (triedSnapshot || !await TryLoadSnapshotAsync(cancellationToken))
                    {
                        var (changeId, version) = await log.TailAsync();
                        await RebuildAsync(changeId, version, cancellationToken);
                    }

                    triedSnapshot = true;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Waits until the index has reached <paramref name="version"/>; returns the version it reached.</summary>
    public async Task<long> CatchUpAsync(long version, CancellationToken cancellationToken = default)
    {
        // Sync at least once: after Redis lost its data a new change can get a version we already passed, and only
        // reading the log finds that out (and rebuilds with the change in, from the catalog).
        while (await SyncOnceAsync(cancellationToken) == 0 && index.Version < version)
        {
            await Task.Delay(options.Value.SyncInterval / 2, time, cancellationToken);
        }

        return index.Version;
    }

    // What a Redis reset loses: the log entries and the version counter only. The catalog Table holds every change
    // whose log append ever succeeded (CatalogIndexer writes the Table first), and a change whose append never ran or
    // failed is still on the Storage queue (the trigger deletes a message only after ProcessAsync returns; a retry
    // rewrites the same rows and appends again). So a rebuild from the Table misses nothing that was accepted. (A
    // message that exhausts its retries while Redis is down is poison-queued with its rows possibly written: the
    // next rebuild picks those rows up, but no log entry announces them.) Cached results and hot-query counts are
    // lost with Redis and rebuilt by traffic. The version is raised above everything this instance has seen, so its
    // memory cache never serves an older catalog under a reused number; an instance that had seen more raises it
    // further at its next sync, so results cached meanwhile under a doubly used number live one sync interval.
    private async Task RebaseAsync(CancellationToken cancellationToken)
    {
        var (changeId, version) = await log.RebaseAsync(floor: index.Version);
        LogRebase(logger, index.Version, version);
        Interlocked.Increment(ref _reloads);
        await RebuildAsync(changeId, version, cancellationToken);
    }

    private async Task<bool> TryLoadSnapshotAsync(CancellationToken cancellationToken)
    {
        var snapshot = await snapshots.TryDownloadAsync(cancellationToken);
        if (snapshot is null)
        {
            return false;
        }

        using (snapshot.Zip)
        {
            index.Open(snapshot.Zip, snapshot.Version, snapshot.ChangeId);
        }

        LogLoaded(logger, "snapshot", snapshot.Version);
        return true;
    }

    private async Task RebuildAsync(string changeId, long version, CancellationToken cancellationToken)
    {
        await index.RebuildAsync(catalog.ListAllAsync(cancellationToken), version, changeId, cancellationToken);
        LogLoaded(logger, "catalog", version);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A dependency that is down at start-up must not stop the host: keep trying, searches wait on Ready meanwhile.
        for (var delay = TimeSpan.FromSeconds(1); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks)))
        {
            try
            {
                await LoadAsync(stoppingToken);
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSyncFailed(logger, ex);
                await Task.Delay(delay, time, stoppingToken);
            }
        }

        using var timer = new PeriodicTimer(options.Value.SyncInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SyncOnceAsync(stoppingToken);
                await hot.FlushAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Redis or storage blips must not stop the loop; the next tick retries from the same position.
                LogSyncFailed(logger, ex);
            }
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Information, "Search index loaded from {Source} at catalog version {Version}")]
    private static partial void LogLoaded(ILogger logger, string source, long version);

    [LoggerMessage(LogLevel.Warning, "Search index at version {Version} missed changes (log starts at {Next}); reloading")]
    private static partial void LogGap(ILogger logger, long version, long next);

    [LoggerMessage(LogLevel.Warning, "Change log restarted below search index version {Version} (Redis lost its data); catalog version raised to {Raised}, rebuilding from the catalog")]
    private static partial void LogRebase(ILogger logger, long version, long raised);

    [LoggerMessage(LogLevel.Warning, "Search index sync failed; retrying")]
    private static partial void LogSyncFailed(ILogger logger, Exception exception);
}
