using Azure;
using Azure.Data.Tables;

namespace Serverless.Core.Transactions;

/// <summary>
/// One participant's table, changed only through optimistic concurrency: every write carries the ETag it read
/// (or is an insert that fails when the row exists), and a lost race re-reads and decides again. Taking from the
/// resource and writing the entry is one entity-group transaction (same partition), so they never diverge.
/// </summary>
/// <remarks>
/// Hand-written rather than a library: the state machine (prepare, commit, release, tombstones for late calls)
/// is the participant protocol itself, and Azure.Data.Tables already provides the concurrency primitives.
/// </remarks>
internal sealed class Ledger(ParticipantName participant, TableClient table, TimeProvider time, bool hasResource)
{
    // Enough for 50+ writers on one hot partition; each lost race costs one read and one write.
    private const int MaxAttempts = 200;

    public ParticipantName Participant => participant;

    public TableClient Table => table;

    public async Task<EntryRow?> GetEntryAsync(string partition, string transactionId, CancellationToken ct)
    {
        var found = await table.GetEntityIfExistsAsync<EntryRow>(partition, EntryRow.KeyFor(transactionId), cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    public async Task<ResourceRow?> GetResourceAsync(string partition, CancellationToken ct)
    {
        var found = await table.GetEntityIfExistsAsync<ResourceRow>(partition, ResourceRow.Key, cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>Adds <paramref name="amount"/> to a resource (creating it), keeping Provisioned in step.</summary>
    public async Task ProvisionAsync(string partition, long amount, long unitPrice, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var row = await GetResourceAsync(partition, ct);
            try
            {
                if (row is null)
                {
                    await table.AddEntityAsync(new ResourceRow { PartitionKey = partition, Available = amount, Provisioned = amount, UnitPrice = unitPrice }, ct);
                }
                else
                {
                    row.Available += amount;
                    row.Provisioned += amount;
                    row.UnitPrice = unitPrice;
                    await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, ct);
                }

                return;
            }
            catch (RequestFailedException ex) when (IsLostRace(ex) && attempt < MaxAttempts)
            {
                await BackOffAsync(ct);
            }
        }
    }

    /// <summary>
    /// Takes <paramref name="amount"/> and records the entry in state <paramref name="target"/> (Prepared for a 2PC
    /// prepare, Committed for a saga step). An existing entry is returned as it is: the call is idempotent, and a
    /// tombstone (Aborted/Compensated) written by an earlier abort keeps a late call from taking anything.
    /// </summary>
    public async Task<ParticipantState> ReserveAsync(
        string partition, string transactionId, long amount, string? detail, ParticipantState target, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await GetEntryAsync(partition, transactionId, ct) is { } existing)
            {
                return existing.ParsedState;
            }

            var entry = NewEntry(partition, transactionId, amount, detail, target);
            try
            {
                if (!hasResource)
                {
                    await table.AddEntityAsync(entry, ct);
                    return target;
                }

                var resource = await GetResourceAsync(partition, ct);
                if (resource is null || resource.Available < amount)
                {
                    entry.State = nameof(ParticipantState.Refused);
                    await table.AddEntityAsync(entry, ct);
                    return ParticipantState.Refused;
                }

                resource.Available -= amount;
                await table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.UpdateReplace, resource, resource.ETag),
                    new TableTransactionAction(TableTransactionActionType.Add, entry),
                ], ct);
                return target;
            }
            catch (RequestFailedException ex) when (IsLostRace(ex) && attempt < MaxAttempts)
            {
                await BackOffAsync(ct);
            }
        }
    }

    /// <summary>Prepared → Committed. Returns the state found when it is not Prepared (Committed means done already).</summary>
    public async Task<ParticipantState> CommitAsync(string partition, string transactionId, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var entry = await GetEntryAsync(partition, transactionId, ct);
            if (entry is null || entry.ParsedState != ParticipantState.Prepared)
            {
                return entry?.ParsedState ?? ParticipantState.None;
            }

            entry.State = nameof(ParticipantState.Committed);
            entry.UpdatedAt = time.GetUtcNow();
            try
            {
                await table.UpdateEntityAsync(entry, entry.ETag, TableUpdateMode.Replace, ct);
                return ParticipantState.Committed;
            }
            catch (RequestFailedException ex) when (IsLostRace(ex) && attempt < MaxAttempts)
            {
                await BackOffAsync(ct);
            }
        }
    }

    /// <summary>
    /// <paramref name="from"/> → <paramref name="to"/>, giving the amount back to the resource in the same
    /// transaction. No entry yet: writes a <paramref name="to"/> tombstone so a late reserve for this id refuses.
    /// An entry in any other state is returned unchanged (already released, refused, or a conflicting state).
    /// </summary>
    public async Task<ParticipantState> ReleaseAsync(
        string partition, string transactionId, ParticipantState from, ParticipantState to, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var entry = await GetEntryAsync(partition, transactionId, ct);
            try
            {
                if (entry is null)
                {
                    await table.AddEntityAsync(NewEntry(partition, transactionId, 0, null, to), ct);
                    return to;
                }

                if (entry.ParsedState != from)
                {
                    return entry.ParsedState;
                }

                entry.State = to.ToString();
                entry.UpdatedAt = time.GetUtcNow();
                if (!hasResource)
                {
                    await table.UpdateEntityAsync(entry, entry.ETag, TableUpdateMode.Replace, ct);
                    return to;
                }

                var resource = await GetResourceAsync(partition, ct)
                    ?? throw new InvalidOperationException($"{participant} entry {transactionId} holds {entry.Amount} of '{partition}', which has no resource row.");
                resource.Available += entry.Amount;
                await table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.UpdateReplace, resource, resource.ETag),
                    new TableTransactionAction(TableTransactionActionType.UpdateReplace, entry, entry.ETag),
                ], ct);
                return to;
            }
            catch (RequestFailedException ex) when (IsLostRace(ex) && attempt < MaxAttempts)
            {
                await BackOffAsync(ct);
            }
        }
    }

    public IAsyncEnumerable<EntryRow> EntriesAsync(string? extraFilter, CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"RowKey ge {EntryRow.KeyPrefix} and RowKey lt {EntryRow.KeyEnd}");
        return table.QueryAsync<EntryRow>(extraFilter is null ? filter : $"{filter} and ({extraFilter})", cancellationToken: ct);
    }

    public IAsyncEnumerable<ResourceRow> ResourcesAsync(CancellationToken ct) =>
        table.QueryAsync<ResourceRow>(TableClient.CreateQueryFilter($"RowKey eq {ResourceRow.Key}"), cancellationToken: ct);

    private EntryRow NewEntry(string partition, string transactionId, long amount, string? detail, ParticipantState state) => new()
    {
        PartitionKey = partition,
        RowKey = EntryRow.KeyFor(transactionId),
        TransactionId = transactionId,
        State = state.ToString(),
        Amount = amount,
        Detail = detail,
        UpdatedAt = time.GetUtcNow(),
    };

    // 409: someone inserted the row first; 412: the row changed since it was read.
    private static bool IsLostRace(RequestFailedException ex) => ex.Status is 409 or 412;

    // Jitter spreads writers of one hot partition apart; it is a back-off, not a clock, so no TimeProvider.
    private static Task BackOffAsync(CancellationToken ct) => Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(2, 25)), ct);
}
