using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search.Index;

namespace Serverless.Core.Search.Catalog;

/// <summary>
/// Applies one queued catalog change: writes the catalog (source of truth), then appends it to the change log,
/// which bumps the catalog version and reaches every instance's index; then warms hot queries for the new version.
/// </summary>
public sealed partial class CatalogIndexer(
    CatalogStore catalog, CatalogChangeLog log, CatalogChangeQueue queue, IndexSynchronizer synchronizer, SearchWarmer warmer, ILogger<CatalogIndexer> logger)
{
    /// <summary>
    /// Processes a queue message. An undecodable message can never succeed, so it goes straight to the poison queue
    /// (returns null) instead of being retried; storage or Redis failures throw, so the runtime retries them.
    /// Returns a catalog version at which this instance's index holds the change.
    /// </summary>
    public async Task<long?> ProcessAsync(string message, CancellationToken cancellationToken = default)
    {
        var change = Decode(message, out var reason);
        if (change is null)
        {
            LogPoisoned(logger, reason);
            await queue.PoisonQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await queue.PoisonQueue.SendMessageAsync(message, cancellationToken);
            return null;
        }

        // Table first: if the log append fails, the retry rewrites the same rows (idempotent) and appends then. Only
        // what was written is logged, so an index never replays products the Table kept a newer version of.
        var applied = await catalog.ApplyAsync(change, cancellationToken);
        // The version searched at, not the appended one: after Redis lost its data the append restarts at 1 and this
        // instance rebuilds at a version above everything it had seen. A change made entirely of outdated products or
        // deletes announces nothing, so it bumps no version.
        var reached = applied.Upserts.Count == 0 && applied.Deletes.Count == 0 && (change.Upserts.Count > 0 || change.Deletes.Count > 0)
            ? await log.CurrentVersionAsync()
            : await log.AppendAsync(applied);
        var version = await synchronizer.CatchUpAsync(reached, cancellationToken);
        await WarmAsync(cancellationToken);
        return version;
    }

    // The change is applied and logged by now: a warm-up failure (Redis, a query that throws) is no reason for the
    // runtime to redeliver it, and each redelivery would only rewrite the same rows.
    private async Task WarmAsync(CancellationToken cancellationToken)
    {
        try
        {
            await warmer.WarmAsync(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogWarmupFailed(logger, ex);
        }
    }

    private static CatalogChange? Decode(string message, out string reason)
    {
        try
        {
            var change = JsonSerializer.Deserialize(message, CatalogJson.Default.CatalogChange);
            if (change is null || change.Upserts is null || change.Deletes is null)
            {
                reason = "not a catalog change";
                return null;
            }

            var errors = ProductValidator.Validate(change.Upserts);
            if (errors.Count > 0 || change.Deletes.Any(id => !ProductValidator.IsValidId(id)) || (change.Id is not null && !ProductValidator.IsValidId(change.Id)))
            {
                reason = "invalid products, ids or change id";
                return null;
            }

            reason = "";
            return change;
        }
        catch (JsonException ex)
        {
            reason = ex.Message;
            return null;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Warm-up after a catalog change failed; the change stays applied")]
    private static partial void LogWarmupFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Error, "Catalog change message moved to the poison queue: {Reason}")]
    private static partial void LogPoisoned(ILogger logger, string reason);
}
