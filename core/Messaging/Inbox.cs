using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;

namespace Serverless.Core.Messaging;

/// <summary>How a claim attempt ended.</summary>
public enum ClaimStatus
{
    /// <summary>This delivery owns the work.</summary>
    Claimed,

    /// <summary>The work was completed before: the delivery has no effect.</summary>
    AlreadyDone,

    /// <summary>Another delivery holds a live claim (it is running, or crashed less than a lease ago).</summary>
    Busy,
}

/// <summary>A claim on one piece of work. Its ETag moves with each renewal, so only its holder completes it.</summary>
public sealed class InboxClaim
{
    internal InboxClaim(ClaimStatus status, string consumer, string id, ETag etag, DateTimeOffset leaseUntil)
    {
        (Status, Consumer, Id, ETag, LeaseUntil) = (status, consumer, id, etag, leaseUntil);
    }

    /// <summary>The outcome.</summary>
    public ClaimStatus Status { get; }

    /// <summary>The consumer.</summary>
    public string Consumer { get; }

    /// <summary>The work's id.</summary>
    public string Id { get; }

    /// <summary>Until when the claim holds (for <see cref="ClaimStatus.Busy"/>: the other holder's lease).</summary>
    public DateTimeOffset LeaseUntil { get; internal set; }

    internal ETag ETag { get; set; }
}

/// <summary>
/// Which work each consumer has done, in Table storage (one row per consumer and id): it survives a Redis reset and
/// lives next to the queues. A claim is a row with a lease; completing marks it done for good; a failure deletes it so
/// the retry claims at once. Rows are optimistic-concurrency updates (ETags), so two deliveries never both own one.
/// </summary>
public sealed class Inbox(StorageClients storage, IOptions<MessagingOptions> options, TimeProvider time)
{
    private const string Claimed = "claimed";
    private const string Done = "done";
    private readonly TableClient _table = storage.Tables.GetTableClient(options.Value.InboxTable);
    private readonly Lock _gate = new();
    private Task? _created;

    /// <summary>Claims <paramref name="id"/> for <paramref name="lease"/>, or says why not.</summary>
    public async Task<InboxClaim> ClaimAsync(string consumer, string id, TimeSpan lease, CancellationToken ct)
    {
        await EnsureCreatedAsync(ct);
        var rowKey = RowKey(id);
        while (true)
        {
            var until = time.GetUtcNow() + lease;
            try
            {
                var added = await _table.AddEntityAsync(Row(consumer, rowKey, Claimed, until), ct);
                return new InboxClaim(ClaimStatus.Claimed, consumer, id, added.Headers.ETag ?? ETag.All, until);
            }
            catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
            {
            }

            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(consumer, rowKey, cancellationToken: ct);
            if (!existing.HasValue)
            {
                continue; // released between our insert and read: try the insert again
            }

            var row = existing.Value!;
            if (row.GetString("State") == Done)
            {
                return new InboxClaim(ClaimStatus.AlreadyDone, consumer, id, row.ETag, default);
            }

            var held = row.GetDateTimeOffset("LeaseUntil") ?? default;
            if (held > time.GetUtcNow())
            {
                return new InboxClaim(ClaimStatus.Busy, consumer, id, row.ETag, held);
            }

            // The holder's lease ran out without completing: it crashed. Take over, unless another delivery just did.
            try
            {
                var taken = await _table.UpdateEntityAsync(Row(consumer, rowKey, Claimed, until), row.ETag, TableUpdateMode.Replace, ct);
                return new InboxClaim(ClaimStatus.Claimed, consumer, id, taken.Headers.ETag ?? ETag.All, until);
            }
            catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
            {
            }
        }
    }

    /// <summary>Extends a held claim; false when it was lost (taken over after the lease ran out).</summary>
    public async Task<bool> RenewAsync(InboxClaim claim, TimeSpan lease, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var until = time.GetUtcNow() + lease;
        try
        {
            var renewed = await _table.UpdateEntityAsync(Row(claim.Consumer, RowKey(claim.Id), Claimed, until), claim.ETag, TableUpdateMode.Replace, ct);
            (claim.ETag, claim.LeaseUntil) = (renewed.Headers.ETag ?? ETag.All, until);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Marks the work done: every later delivery of it is a no-op. False when the claim had been lost.</summary>
    public async Task<bool> CompleteAsync(InboxClaim claim, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(claim);
        try
        {
            await _table.UpdateEntityAsync(Row(claim.Consumer, RowKey(claim.Id), Done, time.GetUtcNow()), claim.ETag, TableUpdateMode.Replace, ct);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Gives the work back so a retry (or a replay) claims it at once.</summary>
    public async Task ReleaseAsync(InboxClaim claim, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(claim);
        try
        {
            await _table.DeleteEntityAsync(claim.Consumer, RowKey(claim.Id), claim.ETag, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
        }
    }

    /// <summary>
    /// Deletes rows of work completed, or of claims that ran out, before <paramref name="before"/>; returns how many.
    /// Each delete is under the row's ETag, so a claim taken over meanwhile is kept. An expired claim and no row
    /// mean the same to <see cref="ClaimAsync"/>; a deleted done row lets a later duplicate run again (see
    /// <see cref="MessagingOptions.InboxRetention"/>).
    /// </summary>
    public async Task<int> DeleteOlderThanAsync(DateTimeOffset before, CancellationToken ct)
    {
        await EnsureCreatedAsync(ct);
        var at = before.UtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture);
        var deleted = 0;
        var filter = $"(State eq '{Done}' and CompletedAt lt datetime'{at}') or (State eq '{Claimed}' and LeaseUntil lt datetime'{at}')";
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: ct))
        {
            try
            {
                await _table.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, ct);
                deleted++;
            }
            catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
            {
            }
        }

        return deleted;
    }

    /// <summary>Whether the work was completed.</summary>
    public async Task<bool> IsDoneAsync(string consumer, string id, CancellationToken ct)
    {
        await EnsureCreatedAsync(ct);
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(consumer, RowKey(id), ["State"], ct);
        return row.HasValue && row.Value!.GetString("State") == Done;
    }

    // Table keys refuse '/', '\', '#', '?' and control characters and stop at 1 KiB; ids come from producers (an
    // Idempotency-Key). Readable ids stay readable; anything else is hashed, behind a '~' no readable id contains.
    internal static string RowKey(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (id.Length <= 200 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@' or '=' or '+'))
        {
            return id;
        }

        return "~" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
    }

    private static TableEntity Row(string consumer, string rowKey, string state, DateTimeOffset at) =>
        new(consumer, rowKey) { ["State"] = state, [state == Done ? "CompletedAt" : "LeaseUntil"] = at };

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
