using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;

namespace Serverless.Core.Search.Catalog;

/// <summary>Puts catalog changes on the indexer's Storage queue, split so every message fits the queue's 64 KiB limit.</summary>
public sealed class CatalogChangeQueue(StorageClients storage, IOptions<SearchOptions> options)
{
    // Base64 (what the Functions queue trigger reads) grows a message by a third: 48 KiB of JSON is 64 KiB, the limit.
    // 46 KiB leaves room for the pipeline's retry envelope (MessageEnvelope) around a change.
    private const int MaxMessageBytes = 46 * 1024;
    private readonly QueueClient _queue = storage.Queues.GetQueueClient(options.Value.ChangeQueue);
    private volatile bool _created;

    /// <summary>The queue the indexer reads.</summary>
    public QueueClient Queue => _queue;

    /// <summary>Enqueues a change; returns the number of messages it took.</summary>
    public async Task<int> EnqueueAsync(CatalogChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!_created)
        {
            await _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            _created = true;
        }

        var messages = Split(change).ToList();
        foreach (var message in messages)
        {
            await _queue.SendMessageAsync(message, cancellationToken);
        }

        return messages.Count;
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
