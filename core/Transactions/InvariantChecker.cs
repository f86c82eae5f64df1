namespace Serverless.Core.Transactions;

/// <summary>What an invariant check found.</summary>
/// <param name="Violations">Each broken invariant, in words; empty when all hold.</param>
/// <param name="Transactions">Distinct transactions with an entry in any store.</param>
/// <param name="FullyApplied">Transactions committed at all three participants.</param>
/// <param name="NotApplied">Transactions committed nowhere.</param>
/// <param name="EntriesByState">Participant entries per state, over all stores.</param>
public sealed record InvariantReport(
    IReadOnlyList<string> Violations, int Transactions, int FullyApplied, int NotApplied, IReadOnlyDictionary<ParticipantState, int> EntriesByState)
{
    /// <summary>One line for logs and test output.</summary>
    public override string ToString() =>
        $"{Transactions} transactions: {FullyApplied} fully applied, {NotApplied} not applied; entries " +
        string.Join(", ", EntriesByState.OrderBy(e => e.Key).Select(e => $"{e.Key}={e.Value}")) + $"; {Violations.Count} violations";
}

/// <summary>
/// Checks the transaction invariants over every store at rest: stock and balances never negative; units and money
/// conserved (what is available plus what committed or prepared entries hold equals what was provisioned); every
/// order applied at all three participants or at none; no reservation left prepared; 2PC participants follow the
/// recorded decision; and, when given, each orchestration's reported outcome matches the stores.
/// </summary>
public sealed class InvariantChecker(TransactionParticipants participants, DecisionLog decisions)
{
    /// <param name="reportedApplied">Per transaction id, whether its orchestration reported it applied (optional).</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<InvariantReport> CheckAsync(IReadOnlyDictionary<string, bool>? reportedApplied = null, CancellationToken ct = default)
    {
        var violations = new List<string>();
        var entries = new List<ParticipantEntry>();
        foreach (var participant in participants.All)
        {
            var mine = new List<ParticipantEntry>();
            await foreach (var entry in participant.EntriesAsync(ct))
            {
                mine.Add(entry);
            }

            entries.AddRange(mine);
            await foreach (var resource in participant.ResourcesAsync(ct))
            {
                CheckResource(resource, mine.Where(e => e.Partition == resource.Partition), violations);
            }
        }

        violations.AddRange(entries.Where(e => e.State == ParticipantState.Prepared)
            .Select(e => $"{e.Participant} reservation for {e.TransactionId} is still prepared (since {e.UpdatedAt:O})."));

        var decided = await decisions.AllAsync(ct);
        var byTransaction = entries.GroupBy(e => e.TransactionId, StringComparer.Ordinal).ToList();
        var fullyApplied = 0;
        var notApplied = 0;
        foreach (var transaction in byTransaction)
        {
            var committed = transaction.Where(e => e.State == ParticipantState.Committed).Select(e => e.Participant).Distinct().Count();
            fullyApplied += committed == participants.All.Count ? 1 : 0;
            notApplied += committed == 0 ? 1 : 0;
            if (committed != 0 && committed != participants.All.Count)
            {
                violations.Add($"{transaction.Key} is partly applied: " +
                    string.Join(", ", transaction.Select(e => $"{e.Participant}={e.State}")) + ".");
            }

            if (decided.TryGetValue(transaction.Key, out var decision) && (decision == Decision.Commit) != (committed == participants.All.Count)
                && !transaction.Any(e => e.State == ParticipantState.Prepared))
            {
                violations.Add($"{transaction.Key} was decided {decision} but {committed} participants committed.");
            }

            if (reportedApplied is not null && reportedApplied.TryGetValue(transaction.Key, out var applied) && applied != (committed == participants.All.Count))
            {
                violations.Add($"{transaction.Key} reported {(applied ? "applied" : "not applied")} but {committed} participants committed.");
            }
        }

        foreach (var (id, applied) in reportedApplied ?? new Dictionary<string, bool>())
        {
            if (applied && byTransaction.All(t => t.Key != id))
            {
                violations.Add($"{id} reported applied but no store has an entry for it.");
            }
        }

        var states = entries.GroupBy(e => e.State).ToDictionary(g => g.Key, g => g.Count());
        return new InvariantReport(violations, byTransaction.Count, fullyApplied, notApplied, states);
    }

    private static void CheckResource(ResourceBalance resource, IEnumerable<ParticipantEntry> entries, List<string> violations)
    {
        var held = entries.Where(e => e.Holds).Sum(e => e.Amount);
        if (resource.Available < 0)
        {
            violations.Add($"{resource.Participant} '{resource.Partition}' is negative: {resource.Available}.");
        }

        if (resource.Available + held != resource.Provisioned)
        {
            violations.Add($"{resource.Participant} '{resource.Partition}' is not conserved: available {resource.Available} + held {held} != provisioned {resource.Provisioned}.");
        }
    }
}
