using Azure;
using Azure.Data.Tables;

namespace Serverless.Core.Transactions;

/// <summary>
/// The durable 2PC decision per transaction, written before any participant hears Commit. The first writer wins
/// (insert-only): the coordinator proposes Commit, the recovery job proposes Abort for a transaction it finds
/// undecided; whoever loses reads and follows the recorded decision, so the two can never disagree.
/// </summary>
public sealed class DecisionLog(TransactionTables tables, TimeProvider time)
{
    private const string Partition = "decision";

    /// <summary>Records <paramref name="proposed"/> unless a decision exists; returns the decision in force.</summary>
    public async Task<Decision> RecordAsync(string transactionId, Decision proposed, string decidedBy, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(transactionId);
        await tables.EnsureCreatedAsync(ct);
        var row = new TableEntity(Partition, transactionId)
        {
            ["Decision"] = proposed.ToString(),
            ["DecidedBy"] = decidedBy,
            ["DecidedAt"] = time.GetUtcNow(),
        };
        try
        {
            await tables.Decisions.AddEntityAsync(row, ct);
            return proposed;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return await GetAsync(transactionId, ct) ?? throw new InvalidOperationException($"Decision for {transactionId} conflicted but cannot be read.", ex);
        }
    }

    /// <summary>The recorded decision, or null when none was made (which 2PC's presumed abort reads as Abort).</summary>
    public async Task<Decision?> GetAsync(string transactionId, CancellationToken ct = default)
    {
        await tables.EnsureCreatedAsync(ct);
        var found = await tables.Decisions.GetEntityIfExistsAsync<TableEntity>(Partition, transactionId, cancellationToken: ct);
        return found.HasValue ? Enum.Parse<Decision>(found.Value!.GetString("Decision")) : null;
    }

    /// <summary>Every recorded decision by transaction id.</summary>
    public async Task<IReadOnlyDictionary<string, Decision>> AllAsync(CancellationToken ct = default)
    {
        await tables.EnsureCreatedAsync(ct);
        var all = new Dictionary<string, Decision>(StringComparer.Ordinal);
        await foreach (var row in tables.Decisions.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"), cancellationToken: ct))
        {
            all[row.RowKey] = Enum.Parse<Decision>(row.GetString("Decision"));
        }

        return all;
    }
}
