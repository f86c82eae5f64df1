using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Messaging;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Index;
using Serverless.Functions.Http;

namespace Serverless.Functions.Search;

/// <summary>Catalog changes: accepted over HTTP onto a queue, applied by the queue-triggered indexer.</summary>
public sealed class CatalogFunctions(
    CatalogChangeQueue queue, CatalogIndexer indexer, MessagePipeline pipeline, IndexSnapshots snapshots, SearchIndex index, TimeProvider time)
{
    // 1,000 products at their largest (5,300 characters of CJK text is ~16 KB of UTF-8, plus 50 tags) fit in 20 MiB.
    private const int MaxBodyBytes = 20 * 1024 * 1024;

    [Function("UpsertProducts")]
    public async Task<IActionResult> Upsert(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "catalog/products")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (products, problem) = await RequestBodies.ReadJsonAsync(
            request, MaxBodyBytes, CatalogJson.Default.ListProduct, "The body must be a JSON array of products.", cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (products is null || products.Count is 0 or > ProductValidator.MaxBatch)
        {
            return Problem.BadRequest($"Send 1 to {ProductValidator.MaxBatch} products.");
        }

        var errors = ProductValidator.Validate(products);
        if (errors.Count > 0)
        {
            return Problem.BadRequest("Some products are invalid; nothing was accepted.", new Dictionary<string, object?> { ["errors"] = errors });
        }

        var messages = await queue.EnqueueAsync(new CatalogChange(products!, []), cancellationToken);
        return new AcceptedResult((string?)null, new { accepted = products.Count, messages });
    }

    [Function("DeleteProduct")]
    public async Task<IActionResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "catalog/products/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (!ProductValidator.IsValidId(id))
        {
            return Problem.BadRequest("Product ids are 1-64 characters of A-Z, a-z, 0-9, '-', '_'.");
        }

        await queue.EnqueueAsync(new CatalogChange([], [id], DeletedAt: time.GetUtcNow()), cancellationToken);
        return new AcceptedResult((string?)null, new { accepted = 1 });
    }

    // The pipeline retries with backoff and poisons with an envelope (core/Messaging/README.md).
    [Function("CatalogIndexer")]
    public Task Index([QueueTrigger("%Search:ChangeQueue%")] QueueMessage message, CancellationToken cancellationToken) =>
        pipeline.ProcessAsync(indexer, message, cancellationToken);

    // Every 5 minutes by default (Search:SnapshotSchedule): cold instances start from this snapshot instead of reading the whole catalog.
    [Function("SearchSnapshotTimer")]
    public Task Snapshot([TimerTrigger("%Search:SnapshotSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        index.Ready.IsCompleted ? snapshots.UploadAsync(index, cancellationToken) : Task.CompletedTask;
}
