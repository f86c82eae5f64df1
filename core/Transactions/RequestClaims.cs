using Azure;
using Azure.Data.Tables;

namespace Serverless.Core.Transactions;

/// <summary>A claim on an idempotency key: who holds it, for which request, since when.</summary>
/// <param name="TransactionId">The instance id derived from the key.</param>
/// <param name="Fingerprint">What the request asked for; a different request under the same key is refused.</param>
/// <param name="ClaimedAt">When it was claimed (or taken over).</param>
/// <param name="Won">True for the caller that just inserted or took over the claim: it, and only it, starts the work.</param>
/// <param name="ETag">For a take-over.</param>
public sealed record RequestClaim(string TransactionId, string Fingerprint, DateTimeOffset ClaimedAt, bool Won, ETag ETag);

/// <summary>
/// First-writer-wins claims on idempotency keys. The orchestration client's own de-duplication reads the instance
/// and then writes it, so requests racing on one key could all start it; an insert-only row cannot be won twice.
/// </summary>
public sealed class RequestClaims(TransactionTables tables, TimeProvider time)
{
    private const string Partition = "request";

    /// <summary>Claims <paramref name="transactionId"/> for <paramref name="fingerprint"/>, or returns the existing claim.</summary>
    public async Task<RequestClaim> ClaimAsync(string transactionId, string fingerprint, CancellationToken ct = default)
    {
        await tables.EnsureCreatedAsync(ct);
        var now = time.GetUtcNow();
        try
        {
            var response = await tables.Requests.AddEntityAsync(Row(transactionId, fingerprint, now), ct);
            return new RequestClaim(transactionId, fingerprint, now, Won: true, response.Headers.ETag ?? default);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var existing = (await tables.Requests.GetEntityAsync<TableEntity>(Partition, transactionId, cancellationToken: ct)).Value;
            return new RequestClaim(transactionId, existing.GetString("Fingerprint"), existing.GetDateTimeOffset("ClaimedAt") ?? default, Won: false, existing.ETag);
        }
    }

    /// <summary>Takes over a claim whose holder never started the work; false when someone else did first.</summary>
    public async Task<RequestClaim?> TakeOverAsync(RequestClaim claim, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var now = time.GetUtcNow();
        try
        {
            var response = await tables.Requests.UpdateEntityAsync(Row(claim.TransactionId, claim.Fingerprint, now), claim.ETag, TableUpdateMode.Replace, ct);
            return claim with { ClaimedAt = now, Won = true, ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return null;
        }
    }

    /// <summary>Gives a won claim back (the work could not be started), so a retry of the request can win it.</summary>
    public async Task ReleaseAsync(RequestClaim claim, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        try
        {
            await tables.Requests.DeleteEntityAsync(Partition, claim.TransactionId, claim.ETag, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            // Someone took it over meanwhile; it is theirs now.
        }
    }

    private static TableEntity Row(string transactionId, string fingerprint, DateTimeOffset at) =>
        new(Partition, transactionId) { ["Fingerprint"] = fingerprint, ["ClaimedAt"] = at };
}
