using System.Net;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;

namespace Serverless.Core.Messaging.Outbox;

/// <summary>A recorded batch waiting for the relay.</summary>
/// <param name="BatchId">The batch (its Table partition).</param>
/// <param name="Destination">The queue its messages go to.</param>
/// <param name="Messages">The message texts, in order.</param>
public sealed record OutboxBatch(string BatchId, string Destination, IReadOnlyList<string> Messages);

/// <summary>
/// The transactional outbox, in Table storage: a batch of queue messages is recorded in one partition, with one head
/// row that makes it pending. A batch that fits one entity group transaction (≤ 100 rows, ≤ 4 MiB) is written in that
/// one transaction, head included; a larger one writes its message rows first and the head last, so the head's insert
/// is the one write that accepts it. Either way a batch is pending with all its messages or not at all.
/// </summary>
public sealed class OutboxStore(StorageClients storage, IOptions<MessagingOptions> options, TimeProvider time)
{
    internal const string Head = "head";
    private const string Pending = "pending";
    private const string Sent = "sent";
    // Binary properties take 64 KiB, strings 32 K UTF-16 characters; a transaction 4 MiB of (base64) payload.
    private const int MaxMessageBytes = 64 * 1024;
    private const int MaxTransactionBytes = 3 * 1024 * 1024;
    private readonly TableClient _table = storage.Tables.GetTableClient(options.Value.OutboxTable);
    private readonly Lock _gate = new();
    private Task? _created;

    /// <summary>
    /// Records <paramref name="messages"/> for <paramref name="destination"/>. With a <paramref name="batchId"/>, a
    /// second call for the same id records nothing (the first one stands), so a retried caller stays one batch.
    /// </summary>
    public async Task<string> RecordAsync(string destination, IReadOnlyList<string> messages, string? batchId = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        ArgumentNullException.ThrowIfNull(messages);
        await EnsureCreatedAsync(ct);
        var id = batchId ?? Guid.NewGuid().ToString("N");
        var rows = messages.Select((text, i) => new TableEntity(id, MessageRow(i)) { ["Body"] = Bytes(text) }).ToList();
        var head = new TableEntity(id, Head)
        {
            ["Destination"] = destination, ["Count"] = messages.Count, ["State"] = Pending, ["CreatedAt"] = time.GetUtcNow(),
        };
        var chunks = Chunks(rows).ToList();
        try
        {
            if (chunks.Count <= 1 && rows.Count < 100 && chunks.Sum(c => c.Bytes) < MaxTransactionBytes)
            {
                await _table.SubmitTransactionAsync([.. rows.Append(head).Select(r => new TableTransactionAction(TableTransactionActionType.Add, r))], ct);
                return id;
            }

            foreach (var chunk in chunks)
            {
                await _table.SubmitTransactionAsync([.. chunk.Rows.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r))], ct);
            }

            await _table.AddEntityAsync(head, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            // The head exists, so the batch was recorded whole: by the same caller before (an activity retried after
            // it crashed) or by this call's own earlier try, whose answer was lost (a network timeout) before the SDK
            // retried it. A fresh id has no other writer, so for it the conflict can only be the second case.
        }

        return id;
    }

    /// <summary>Ids of batches not yet marked sent.</summary>
    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken ct)
    {
        await EnsureCreatedAsync(ct);
        var ids = new List<string>();
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RowKey eq {Head} and State eq {Pending}"), select: ["PartitionKey", "State"], cancellationToken: ct))
        {
            ids.Add(row.PartitionKey);
        }

        return ids;
    }

    /// <summary>
    /// Removes the heads of batches sent more than <paramref name="retention"/> ago. Until then a head stays, so a
    /// caller that records the same batch id again (a retried activity) finds it and records nothing.
    /// </summary>
    public async Task<int> SweepAsync(TimeSpan retention, CancellationToken ct)
    {
        await EnsureCreatedAsync(ct);
        var cutoff = time.GetUtcNow() - retention;
        var swept = 0;
        await foreach (var row in _table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"RowKey eq {Head} and State eq {Sent} and SentAt lt {cutoff}"), select: ["PartitionKey", "State"], cancellationToken: ct))
        {
            await _table.DeleteEntityAsync(row.PartitionKey, Head, ETag.All, ct);
            swept++;
        }

        return swept;
    }

    /// <summary>
    /// Takes the batch for <paramref name="lease"/> so two relays (the timer and a nudge) do not both send it;
    /// null when it is gone, sent or held by another relay.
    /// </summary>
    public async Task<OutboxBatch?> TakeAsync(string batchId, TimeSpan lease, CancellationToken ct)
    {
        await EnsureCreatedAsync(ct);
        var found = await _table.GetEntityIfExistsAsync<TableEntity>(batchId, Head, cancellationToken: ct);
        if (!found.HasValue)
        {
            return null;
        }

        var head = found.Value!;
        if (head.GetString("State") == Sent)
        {
            return null;
        }

        if (head.GetDateTimeOffset("LeaseUntil") is { } until && until > time.GetUtcNow())
        {
            return null;
        }

        head["LeaseUntil"] = time.GetUtcNow() + lease;
        try
        {
            await _table.UpdateEntityAsync(head, head.ETag, TableUpdateMode.Merge, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            return null;
        }

        var messages = new List<string>();
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {batchId} and RowKey lt {Head}"), cancellationToken: ct))
        {
            messages.Add(System.Text.Encoding.UTF8.GetString(row.GetBinary("Body")));
        }

        return messages.Count == head.GetInt32("Count")
            ? new OutboxBatch(batchId, head.GetString("Destination"), messages)
            : throw new InvalidOperationException($"Outbox batch {batchId} has {messages.Count} of its {head.GetInt32("Count")} messages.");
    }

    /// <summary>Marks the batch sent (every message is on its queue), then removes its messages.</summary>
    public async Task MarkSentAsync(string batchId, CancellationToken ct)
    {
        await _table.UpdateEntityAsync(new TableEntity(batchId, Head) { ["State"] = Sent, ["SentAt"] = time.GetUtcNow() }, ETag.All, TableUpdateMode.Merge, ct);
        // Clean-up only: a batch marked sent is never relayed again, whether or not its rows are gone yet.
        var keys = new List<string>();
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {batchId} and RowKey lt {Head}"), select: ["RowKey"], cancellationToken: ct))
        {
            keys.Add(row.RowKey);
        }

        foreach (var chunk in keys.Chunk(100))
        {
            await _table.SubmitTransactionAsync([.. chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(batchId, k)))], ct);
        }
    }

    // Digits sort before "head", so "RowKey lt head" reads exactly the messages, in order.
    private static string MessageRow(int index) => index.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

    private static byte[] Bytes(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        return bytes.Length <= MaxMessageBytes
            ? bytes
            : throw new ArgumentException($"An outbox message is limited to {MaxMessageBytes} bytes (a queue message's own limit is 64 KiB).", nameof(text));
    }

    private static IEnumerable<(List<TableEntity> Rows, int Bytes)> Chunks(List<TableEntity> rows)
    {
        var chunk = new List<TableEntity>();
        var bytes = 0;
        foreach (var row in rows)
        {
            // Base64 in the transaction's JSON: four bytes for every three, plus the row's keys and framing.
            var size = ((byte[])row["Body"]).Length * 4 / 3 + 512;
            if (chunk.Count > 0 && (chunk.Count == 99 || bytes + size > MaxTransactionBytes))
            {
                yield return (chunk, bytes);
                (chunk, bytes) = ([], 0);
            }

            chunk.Add(row);
            bytes += size;
        }

        if (chunk.Count > 0)
        {
            yield return (chunk, bytes);
        }
    }

    private Task EnsureCreatedAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = _table.CreateIfNotExistsAsync(ct);
            }

            return _created;
        }
    }
}
