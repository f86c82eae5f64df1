using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Core.Messaging;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search.Index;

namespace Serverless.Core.Search.Catalog;

/// <summary>
/// Applies one queued catalog change: writes the catalog (source of truth), then appends it to the change log,
/// which bumps the catalog version and reaches every instance's index; then warms hot queries for the new version.
/// Runs as the <c>catalog-indexer</c> consumer of the <see cref="MessagePipeline"/>, which claims each change by its id.
/// </summary>
public sealed partial class CatalogIndexer(
    CatalogStore catalog, CatalogChangeLog log, IndexSynchronizer synchronizer, SearchWarmer warmer, IOptions<SearchOptions> options, ILogger<CatalogIndexer> logger)
    : IMessageHandler<CatalogChange>
{
    /// <summary>The consumer name (settings <c>Messaging:Consumers:catalog-indexer</c>).</summary>
    public const string ConsumerName = "catalog-indexer";

    /// <inheritdoc />
    public string Consumer => ConsumerName;

    /// <inheritdoc />
    public string Queue { get; } = options.Value.ChangeQueue;

    /// <inheritdoc />
    // The change id is fixed when the change is enqueued, so an enqueue repeated by the outbox relay is one change.
    public string? InboxKey(CatalogChange message) => message?.Id;

    /// <inheritdoc />
    public async Task<HandlerResult> HandleAsync(CatalogChange message, MessageDelivery delivery, CancellationToken cancellationToken)
    {
        await ApplyAsync(message, cancellationToken);
        return HandlerResult.Succeeded;
    }

    /// <summary>
    /// Applies a decoded change (storage or Redis failures throw; the pipeline retries them). Returns a catalog
    /// version at which this instance's index holds the change.
    /// </summary>
    public async Task<long> ApplyAsync(CatalogChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
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

    /// <inheritdoc />
    public MessageDecoding<CatalogChange> Decode(string body)
    {
        var change = Decode(body, out var reason);
        return change is null ? MessageDecoding<CatalogChange>.Fail(reason) : MessageDecoding<CatalogChange>.Ok(change);
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
}
