using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Serverless.Core.Messaging.Outbox;

namespace Serverless.Core.Transactions;

/// <summary>A transaction an operator has to look at: what could not be done, where, and why.</summary>
/// <param name="TransactionId">The transaction.</param>
/// <param name="Participant">Where the operation kept failing.</param>
/// <param name="Operation">Commit, Abort or Compensate.</param>
/// <param name="Reason">The last error.</param>
/// <param name="RecordedAt">When it was recorded.</param>
public sealed record AttentionItem(string TransactionId, ParticipantName Participant, string Operation, string Reason, DateTimeOffset RecordedAt);

/// <summary>
/// Needs-attention records: a Table row (the list an operator works through) and a queue message (the alert), sent
/// through the transactional outbox. Recording is idempotent per transaction, participant and operation: the row is
/// replaced, and the outbox batch has an id made from the three, so a retried activity records one alert.
/// </summary>
public sealed class AttentionLog(TransactionTables tables, OutboxStore outbox, OutboxRelay relay, TimeProvider time)
{
    /// <summary>Records the item and its alert message.</summary>
    public async Task<AttentionItem> RecordAsync(string transactionId, ParticipantName participant, string operation, string reason, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(transactionId);
        await tables.EnsureCreatedAsync(ct);
        var item = new AttentionItem(transactionId, participant, operation, reason, time.GetUtcNow());
        await tables.Attention.UpsertEntityAsync(new TableEntity(transactionId, $"{participant}-{operation}")
        {
            ["Participant"] = participant.ToString(),
            ["Operation"] = operation,
            ["Reason"] = reason.Length > 4_000 ? reason[..4_000] : reason,
            ["RecordedAt"] = item.RecordedAt,
        }, TableUpdateMode.Replace, ct);
        var batch = await outbox.RecordAsync(tables.AttentionQueue.Name, [JsonSerializer.Serialize(item)], BatchId(transactionId, participant, operation), ct);
        await relay.NudgeAsync(batch, ct);
        return item;
    }

    // Table keys refuse some characters a transaction id could hold: a hash is one key per item whatever the id.
    private static string BatchId(string transactionId, ParticipantName participant, string operation) =>
        "attention-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{transactionId}/{participant}/{operation}")))[..32];

    /// <summary>Everything recorded for one transaction.</summary>
    public async Task<IReadOnlyList<AttentionItem>> ForAsync(string transactionId, CancellationToken ct = default)
    {
        await tables.EnsureCreatedAsync(ct);
        var items = new List<AttentionItem>();
        await foreach (var row in tables.Attention.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {transactionId}"), cancellationToken: ct))
        {
            items.Add(new AttentionItem(row.PartitionKey, Enum.Parse<ParticipantName>(row.GetString("Participant")), row.GetString("Operation"),
                row.GetString("Reason"), row.GetDateTimeOffset("RecordedAt") ?? row.Timestamp ?? default));
        }

        return items;
    }
}
