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

    /// <summary>Opens the index from the latest snapshot, or rebuilds it from the catalog when there is none.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = await snapshots.TryDownloadAsync(cancellationToken);
        if (snapshot is not null)
        {
            using (snapshot.Zip)
            {
                index.Open(snapshot.Zip, snapshot.Version, snapshot.ChangeId);
            }

            LogLoaded(logger, "snapshot", snapshot.Version);
            return;
        }

        // Note the log position first: changes made while we read the catalog are replayed afterwards.
        var (changeId, version) = await log.TailAsync();
        index.Open(null, version, changeId);
        var batch = new List<Product>(1_000);
        await foreach (var product in catalog.ListAllAsync(cancellationToken))
        {
            batch.Add(product);
            if (batch.Count == batch.Capacity)
            {
                index.AddAll(batch);
                batch.Clear();
            }
        }

        index.AddAll(batch);
        LogLoaded(logger, "catalog", version);
    }

    /// <summary>Applies pending change-log entries; returns how many. Reloads when entries were missed.</summary>
    public async Task<int> SyncOnceAsync(CancellationToken cancellationToken = default)
    {
        await index.Ready.WaitAsync(cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var applied = 0;
            while (true)
            {
                var entries = await log.ReadAfterAsync(index.LastChangeId);
                if (entries.Count == 0)
                {
                    return applied;
                }

                if (entries[0].Version != index.Version + 1)
                {
                    // Trimmed past us (or reset): the log cannot bring us up to date any more.
                    LogGap(logger, index.Version, entries[0].Version);
                    await LoadAsync(cancellationToken);
                    continue;
                }

                index.Apply([.. entries.Select(e => (e.Change, e.Version, e.Id))]);
                applied += entries.Count;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Waits until the index has reached <paramref name="version"/>.</summary>
    public async Task CatchUpAsync(long version, CancellationToken cancellationToken = default)
    {
        while (index.Version < version)
        {
            if (await SyncOnceAsync(cancellationToken) == 0)
            {
                await Task.Delay(options.Value.SyncInterval / 2, time, cancellationToken);
            }
        }
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

    [LoggerMessage(LogLevel.Warning, "Search index sync failed; retrying")]
    private static partial void LogSyncFailed(ILogger logger, Exception exception);
}
