using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Serverless.Core.Messaging.Outbox;
using Serverless.Core.Storage;

namespace Serverless.Core.Search.Catalog;

/// <summary>
/// Puts catalog changes on the indexer's Storage queue, split so every message fits the queue's 64 KiB limit, through
/// the transactional outbox: a change's messages are recorded together before the caller answers, then relayed.
/// </summary>
public sealed class CatalogChangeQueue(StorageClients storage, IOptions<SearchOptions> options, OutboxStore outbox, OutboxRelay relay)
{
    // Base64 (what the Functions queue trigger reads) grows a message by a third: 48 KiB of JSON is 64 KiB, the limit.
    // 46 KiB leaves room for the pipeline's retry envelope (MessageEnvelope) around a change.
    private const int MaxMessageBytes = 46 * 1024;
    private readonly QueueClient _queue = storage.Queues.GetQueueClient(options.Value.ChangeQueue);

    /// <summary>The queue the indexer reads.</summary>
    public QueueClient Queue => _queue;

    /// <summary>
    /// Records the change in the outbox (all its messages or, when this throws, none) and nudges the relay, which puts
    /// them on the queue now or, if that fails, on its next timer pass. Returns the number of messages it took.
    /// </summary>
    public async Task<int> EnqueueAsync(CatalogChange change, CancellationToken cancellationToken = default)
    {
        var batch = await RecordAsync(change, cancellationToken);
        await relay.NudgeAsync(batch.BatchId, cancellationToken);
        return batch.Messages.Count;
    }

    /// <summary>Records the change in the outbox without relaying it (the write a request makes before its 202).</summary>
    public async Task<OutboxBatch> RecordAsync(CatalogChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        var messages = Split(change).ToList();
        var id = await outbox.RecordAsync(_queue.Name, messages, ct: cancellationToken);
        return new OutboxBatch(id, _queue.Name, messages);
    }

    // Storage queues deliver at least once (a worker that dies or times out after applying leaves the message visible
    // again): the id, fixed when the message is written, is what the change log recognises a redelivery by.
    private static string NewId() => Guid.NewGuid().ToString("N");

    private static IEnumerable<string> Split(CatalogChange change)
    {
        if (change.Deletes.Count > 0)
        {
            yield return JsonSerializer.Serialize(new CatalogChange([], change.Deletes, NewId(), change.DeletedAt), CatalogJson.Default.CatalogChange);
        }

        var batch = new List<Product>();
        var size = 0;
        foreach (var product in change.Upserts)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(product, CatalogJson.Default.Product).Length + 1;
            if (batch.Count > 0 && size + bytes > MaxMessageBytes)
            {
                yield return JsonSerializer.Serialize(new CatalogChange(batch, [], NewId()), CatalogJson.Default.CatalogChange);
                batch = [];
                size = 0;
            }

            batch.Add(product);
            size += bytes;
        }

        if (batch.Count > 0)
        {
            yield return JsonSerializer.Serialize(new CatalogChange(batch, [], NewId()), CatalogJson.Default.CatalogChange);
        }
    }
}
