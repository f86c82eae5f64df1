using Azure;
using Azure.Data.Tables;

namespace Serverless.Core.Transactions;

/// <summary>
/// The resource of one partition (a SKU's stock, an account's balance). It shares the partition with the
/// transaction entries so that taking from it and recording the entry is one entity-group transaction.
/// </summary>
internal sealed class ResourceRow : ITableEntity
{
    public const string Key = "resource";

    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = Key;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public long Available { get; set; }

    public long Provisioned { get; set; }

    public long UnitPrice { get; set; }
}

/// <summary>One transaction's entry at one participant, keyed by the transaction id.</summary>
internal sealed class EntryRow : ITableEntity
{
    public const string KeyPrefix = "entry-";

    // '.' sorts right after '-', so [KeyPrefix, KeyEnd) is exactly the entry rows.
    public const string KeyEnd = "entry.";

    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string TransactionId { get; set; } = "";

    public string State { get; set; } = nameof(ParticipantState.None);

    public long Amount { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public string? Detail { get; set; }

    public static string KeyFor(string transactionId) => KeyPrefix + transactionId;

    public ParticipantState ParsedState => Enum.Parse<ParticipantState>(State);

    public ParticipantEntry ToEntry(ParticipantName participant) =>
        new(participant, PartitionKey, TransactionId, ParsedState, Amount, UpdatedAt, Detail);
}
