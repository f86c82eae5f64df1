using System.Runtime.CompilerServices;

namespace Serverless.Core.Transactions;

/// <summary>
/// One participant (Inventory, Payments or Shipping) and both protocols it speaks: 2PC prepare/commit/abort and
/// saga apply/compensate. Every operation is idempotent by transaction id, so a duplicate delivery is harmless.
/// </summary>
public sealed class TransactionParticipant
{
    private readonly Ledger _ledger;
    private readonly TransactionTables _tables;
    private readonly Func<TransactionOrder, string> _partition;
    private readonly Func<TransactionOrder, long> _amount;
    private readonly Func<TransactionOrder, string?> _detail;

    internal TransactionParticipant(
        Ledger ledger, TransactionTables tables, Func<TransactionOrder, string> partition, Func<TransactionOrder, long> amount, Func<TransactionOrder, string?> detail)
    {
        _ledger = ledger;
        _tables = tables;
        _partition = partition;
        _amount = amount;
        _detail = detail;
    }

    /// <summary>Which participant this is.</summary>
    public ParticipantName Name => _ledger.Participant;

    /// <summary>True for Inventory and Payments, whose entries take from a stock or balance row.</summary>
    public bool HasResource { get; internal init; }

    /// <summary>2PC phase 1: reserve and vote. Asking again returns the vote recorded the first time.</summary>
    public async Task<Vote> PrepareAsync(TransactionOrder order, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        await _tables.EnsureCreatedAsync(ct);
        var state = await _ledger.ReserveAsync(_partition(order), order.TransactionId, _amount(order), _detail(order), ParticipantState.Prepared, ct);
        return state is ParticipantState.Prepared or ParticipantState.Committed ? Vote.Yes : Vote.No;
    }

    /// <summary>2PC commit. Returns <see cref="ParticipantState.Committed"/> when done (now or before); any other state is a protocol conflict.</summary>
    public async Task<ParticipantState> CommitAsync(TransactionOrder order, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        await _tables.EnsureCreatedAsync(ct);
        return await _ledger.CommitAsync(_partition(order), order.TransactionId, ct);
    }

    /// <summary>2PC abort: releases a reservation, or leaves a tombstone so a late prepare votes No.</summary>
    /// <returns>Aborted or Refused when nothing is held any more; Committed is a protocol conflict.</returns>
    public async Task<ParticipantState> AbortAsync(TransactionOrder order, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        await _tables.EnsureCreatedAsync(ct);
        return await _ledger.ReleaseAsync(_partition(order), order.TransactionId, ParticipantState.Prepared, ParticipantState.Aborted, ct);
    }

    /// <summary>Saga step: takes and records in one go. Repeating it returns the first result.</summary>
    public async Task<StepResult> ApplyAsync(TransactionOrder order, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        await _tables.EnsureCreatedAsync(ct);
        var state = await _ledger.ReserveAsync(_partition(order), order.TransactionId, _amount(order), _detail(order), ParticipantState.Committed, ct);
        return state == ParticipantState.Committed ? StepResult.Applied : StepResult.Refused;
    }

    /// <summary>Saga compensation: undoes an applied step, or leaves a tombstone so a late step refuses.</summary>
    /// <returns>Compensated or Refused when nothing is held any more.</returns>
    public async Task<ParticipantState> CompensateAsync(TransactionOrder order, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        await _tables.EnsureCreatedAsync(ct);
        return await _ledger.ReleaseAsync(_partition(order), order.TransactionId, ParticipantState.Committed, ParticipantState.Compensated, ct);
    }

    /// <summary>Recovery: commits an entry found in the table (its order is not at hand).</summary>
    public async Task<ParticipantState> CommitAsync(ParticipantEntry entry, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await _tables.EnsureCreatedAsync(ct);
        return await _ledger.CommitAsync(entry.Partition, entry.TransactionId, ct);
    }

    /// <summary>Recovery: aborts an entry found in the table.</summary>
    public async Task<ParticipantState> AbortAsync(ParticipantEntry entry, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await _tables.EnsureCreatedAsync(ct);
        return await _ledger.ReleaseAsync(entry.Partition, entry.TransactionId, ParticipantState.Prepared, ParticipantState.Aborted, ct);
    }

    /// <summary>This participant's entry for the order, or null when the transaction never reached it.</summary>
    public async Task<ParticipantEntry?> GetAsync(TransactionOrder order, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        await _tables.EnsureCreatedAsync(ct);
        return (await _ledger.GetEntryAsync(_partition(order), order.TransactionId, ct))?.ToEntry(Name);
    }

    /// <summary>Every entry in the table.</summary>
    public IAsyncEnumerable<ParticipantEntry> EntriesAsync(CancellationToken ct = default) => QueryAsync(null, ct);

    /// <summary>Entries still <see cref="ParticipantState.Prepared"/> whose last change is at or before <paramref name="before"/>.</summary>
    public IAsyncEnumerable<ParticipantEntry> PreparedBeforeAsync(DateTimeOffset before, CancellationToken ct = default) =>
        QueryAsync(Azure.Data.Tables.TableClient.CreateQueryFilter($"State eq {nameof(ParticipantState.Prepared)} and UpdatedAt le {before}"), ct);

    /// <summary>Every stock or balance row (none for Shipping).</summary>
    public async IAsyncEnumerable<ResourceBalance> ResourcesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await _tables.EnsureCreatedAsync(ct);
        if (!HasResource)
        {
            yield break;
        }

        await foreach (var row in _ledger.ResourcesAsync(ct))
        {
            yield return ToBalance(row);
        }
    }

    /// <summary>The stock of a SKU or balance of an account; null when unknown.</summary>
    public async Task<ResourceBalance?> GetResourceAsync(string partition, CancellationToken ct = default)
    {
        await _tables.EnsureCreatedAsync(ct);
        return await _ledger.GetResourceAsync(partition, ct) is { } row ? ToBalance(row) : null;
    }

    /// <summary>Adds stock to a SKU or money to an account (creating it).</summary>
    /// <param name="partition">SKU or account.</param>
    /// <param name="amount">Units or cents to add.</param>
    /// <param name="unitPrice">Inventory: price of one unit in cents.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task ProvisionAsync(string partition, long amount, long unitPrice = 0, CancellationToken ct = default)
    {
        if (!HasResource)
        {
            throw new InvalidOperationException($"{Name} has no resource to provision.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        await _tables.EnsureCreatedAsync(ct);
        await _ledger.ProvisionAsync(partition, amount, unitPrice, ct);
    }

    private async IAsyncEnumerable<ParticipantEntry> QueryAsync(string? filter, [EnumeratorCancellation] CancellationToken ct)
    {
        await _tables.EnsureCreatedAsync(ct);
        await foreach (var row in _ledger.EntriesAsync(filter, ct))
        {
            yield return row.ToEntry(Name);
        }
    }

    private ResourceBalance ToBalance(ResourceRow row) => new(Name, row.PartitionKey, row.Available, row.Provisioned, row.UnitPrice);
}
