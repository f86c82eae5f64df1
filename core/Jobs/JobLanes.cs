using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace Serverless.Core.Jobs;

/// <summary>
/// Ordering lanes: jobs with the same <c>orderingKey</c> run one at a time, in submission order, across instances
/// and crashes.
/// </summary>
/// <remarks>
/// <para>Design. Each ordering key has a lane: one table partition (<c>lane-</c> + hash of the key) holding a
/// <c>head</c> row {Next, Turn}, a <c>seq-N</c> row per place (which job holds place N) and a <c>member-…</c> row per
/// job and round (which place that job holds). A job joins its lane once, at submission, in ONE entity-group
/// transaction: head.Next+1 under the head's ETag, plus the insert of its <c>seq</c> and <c>member</c> rows. A job may
/// run only while head.Turn equals its place; when it ends (succeeded or dead) the runner moves Turn from its place
/// to the next, under the head's ETag, and then enqueues the job at the new Turn.</para>
/// <para>Why it holds. (1) Places are unique and follow submission order: two submissions that read the same Next
/// cannot both commit (the second fails on the ETag and reads again), and a job that returns with the same
/// Idempotency-Key finds its <c>member</c> row, so a retried submission never takes a second place. (2) One at a
/// time: Turn is a single value that only the job holding it advances, and only after the job's final state is
/// written, so the next job cannot start while the previous one can still run; a job whose message arrives before
/// its turn is dropped, because the job ending before it will enqueue it. (3) Crashes: every step is durable in
/// Table storage (nothing in Redis or memory), and the only windows are "job ended, Turn not moved" and "Turn moved,
/// successor not enqueued"; both are closed by <see cref="RepairAsync"/>, which the runner calls when it meets a job
/// that is not yet its turn and the sweep calls for jobs waiting too long. A successor that joins while the lane is
/// moving is enqueued by its own submission (the join and the Turn move touch the same head row, so one of the two
/// sees the other). (4) Leases on running jobs (see <see cref="JobRunner"/>) keep a duplicated message from starting a
/// second run of the job holding the turn.</para>
/// <para>A dead job ends its turn: the lane moves on, so one poison job does not block every later job of its key.
/// Replaying it joins the lane again at the tail (a new place, as if submitted then), so replays keep one-at-a-time
/// too.</para>
/// <para>Retention. A lane whose every place has ended (Turn = Next) and whose head has not moved for
/// <see cref="JobOptions.Retention"/> is deleted by <see cref="TryDeleteAsync"/>: first its rows of ended places, then
/// the head under the ETag it was judged idle by. A submission that joins meanwhile changes the head, so the head
/// survives and only rows of places before the join's are gone, which nothing reads again; a join that read the head
/// just before it was deleted fails on its ETag and starts a fresh lane at place 1.</para>
/// </remarks>
public sealed class JobLanes(JobStore store, TimeProvider time)
{
    private const string HeadRow = "head";
    private const int MaxBatch = 100;

    /// <summary>The lane partition of <paramref name="orderingKey"/>.</summary>
    public static string PartitionOf(string orderingKey) =>
        "lane-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(orderingKey)))[..32];

    /// <summary>The job's place in its lane for replay round <paramref name="round"/>, joining at the tail if it has none yet.</summary>
    public async Task<long> JoinAsync(string orderingKey, string jobId, int round, CancellationToken ct = default)
    {
        var lane = PartitionOf(orderingKey);
        var member = MemberRow(jobId, round);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var existing = await store.Table.GetEntityIfExistsAsync<TableEntity>(lane, member, cancellationToken: ct);
            if (existing.HasValue)
            {
                return existing.Value!.GetInt64("Seq") ?? throw new InvalidOperationException($"Lane row {lane}/{member} has no Seq.");
            }

            var head = await store.Table.GetEntityIfExistsAsync<TableEntity>(lane, HeadRow, cancellationToken: ct);
            var seq = head.HasValue ? head.Value!.GetInt64("Next") ?? 1 : 1;
            var newHead = new TableEntity(lane, HeadRow)
            {
                ["Next"] = seq + 1,
                ["Turn"] = head.HasValue ? head.Value!.GetInt64("Turn") ?? 1 : 1,
                ["OrderingKey"] = orderingKey,
                ["UpdatedAt"] = time.GetUtcNow(),
            };
            var actions = new List<TableTransactionAction>
            {
                head.HasValue
                    ? new(TableTransactionActionType.UpdateReplace, newHead, head.Value!.ETag)
                    : new(TableTransactionActionType.Add, newHead),
                new(TableTransactionActionType.Add, new TableEntity(lane, SeqRow(seq)) { ["JobId"] = jobId, ["Round"] = round }),
                new(TableTransactionActionType.Add, new TableEntity(lane, member) { ["Seq"] = seq }),
            };
            try
            {
                await store.Table.SubmitTransactionAsync(actions, ct);
                return seq;
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 or 404)
            {
                // Another submission to this lane committed first (or this job's own earlier attempt did), or the
                // retention sweep deleted the idle lane after we read its head: read again.
            }
        }
    }

    /// <summary>The place allowed to run now (1 for a lane nobody joined).</summary>
    public async Task<long> TurnAsync(string orderingKey, CancellationToken ct = default)
    {
        var head = await store.Table.GetEntityIfExistsAsync<TableEntity>(PartitionOf(orderingKey), HeadRow, cancellationToken: ct);
        return head.HasValue ? head.Value!.GetInt64("Turn") ?? 1 : 1;
    }

    /// <summary>
    /// Ends the turn of place <paramref name="seq"/> (no-op when the lane already moved past it) and returns the job
    /// holding the next place, to enqueue, or null when nobody has joined after it yet.
    /// </summary>
    public async Task<string?> EndTurnAsync(string orderingKey, long seq, CancellationToken ct = default)
    {
        var lane = PartitionOf(orderingKey);
        while (true)
        {
            var read = await store.Table.GetEntityIfExistsAsync<TableEntity>(lane, HeadRow, cancellationToken: ct);
            // No head: the lane was deleted as idle, so every turn in it had ended already.
            if (!read.HasValue || (read.Value!.GetInt64("Turn") ?? 1) != seq)
            {
                return null;
            }

            var head = read.Value!;
            head["Turn"] = seq + 1;
            head["UpdatedAt"] = time.GetUtcNow();
            try
            {
                await store.Table.UpdateEntityAsync(head, head.ETag, TableUpdateMode.Replace, ct);
                break;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // A join moved Next meanwhile; Turn is still ours to move.
            }
        }

        return await HolderAsync(lane, seq + 1, ct);
    }

    /// <summary>
    /// Closes the crash windows of a lane: when the job at Turn has already ended its turn (finished, replayed to a
    /// later place, or purged) the turn is moved on; the job that then holds the turn is returned for enqueueing
    /// (null when nobody waits).
    /// </summary>
    public async Task<string?> RepairAsync(string orderingKey, CancellationToken ct = default)
    {
        var lane = PartitionOf(orderingKey);
        for (var hops = 0; hops < 1000; hops++)
        {
            var turn = await TurnAsync(orderingKey, ct);
            var row = await store.Table.GetEntityIfExistsAsync<TableEntity>(lane, SeqRow(turn), cancellationToken: ct);
            if (!row.HasValue)
            {
                return null;
            }

            var holder = row.Value!.GetString("JobId");
            var job = await store.GetAsync(holder, ct);
            // By round, not by the job's recorded place: a job that has joined but not yet recorded its place holds it.
            if (job is not null && job.ReplayCount == (row.Value!.GetInt32("Round") ?? 0) && !job.IsFinished)
            {
                return holder;
            }

            await EndTurnAsync(orderingKey, turn, ct);
        }

        return null;
    }

    /// <summary>
    /// Lane heads that have not moved since before <paramref name="idleBefore"/>: a snapshot, each to be judged by
    /// <see cref="IsEmpty"/> and deleted with <see cref="TryDeleteAsync"/> under its ETag.
    /// </summary>
    public async IAsyncEnumerable<TableEntity> IdleHeadsAsync(DateTimeOffset idleBefore, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await store.EnsureCreatedAsync(ct);
        await foreach (var head in store.Table.QueryAsync<TableEntity>($"PartitionKey ge 'lane-' and PartitionKey lt 'lane.' and RowKey eq '{HeadRow}'", cancellationToken: ct))
        {
            // Heads written before UpdatedAt existed fall back to the server's timestamp.
            if ((head.GetDateTimeOffset("UpdatedAt") ?? head.Timestamp ?? DateTimeOffset.MaxValue) < idleBefore)
            {
                yield return head;
            }
        }
    }

    /// <summary>True when every place of the lane has ended (nobody waits in it).</summary>
    public static bool IsEmpty(TableEntity head)
    {
        ArgumentNullException.ThrowIfNull(head);
        return (head.GetInt64("Turn") ?? 1) == (head.GetInt64("Next") ?? 1);
    }

    /// <summary>
    /// Deletes an empty lane as read in <paramref name="head"/>: its rows of places before head.Next, then the head
    /// under the snapshot's ETag. False when the head changed since (a submission joined) or is already gone.
    /// </summary>
    public async Task<bool> TryDeleteAsync(TableEntity head, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (!IsEmpty(head))
        {
            return false;
        }

        var next = head.GetInt64("Next") ?? 1;
        var ended = new List<TableEntity>();
        await foreach (var row in store.Table.QueryAsync<TableEntity>($"PartitionKey eq '{head.PartitionKey}' and RowKey ne '{HeadRow}'", select: ["PartitionKey", "RowKey", "Seq"], cancellationToken: ct))
        {
            // Only places before the snapshot's Next: a submission joining now takes place Next or later, and keeps its rows.
            if (PlaceOf(row) is { } seq && seq < next)
            {
                ended.Add(row);
            }
        }

        foreach (var chunk in ended.Chunk(MaxBatch))
        {
            await DeleteRowsAsync(chunk, ct);
        }

        try
        {
            await store.Table.DeleteEntityAsync(head.PartitionKey, HeadRow, head.ETag, ct);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>Removes the job's places of rounds 0..<paramref name="replayCount"/>, before its row is deleted: a later job with the same id joins afresh.</summary>
    public async Task LeaveAsync(string orderingKey, string jobId, int replayCount, CancellationToken ct = default)
    {
        var lane = PartitionOf(orderingKey);
        for (var round = 0; round <= replayCount; round++)
        {
            try
            {
                await store.Table.DeleteEntityAsync(lane, MemberRow(jobId, round), ETag.All, ct);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
            }
        }
    }

    private async Task DeleteRowsAsync(TableEntity[] rows, CancellationToken ct)
    {
        try
        {
            await store.Table.SubmitTransactionAsync(rows.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), ct);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 404)
        {
            // Another sweep deleted some of them: one by one, skipping what is gone.
            foreach (var row in rows)
            {
                try
                {
                    await store.Table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, ct);
                }
                catch (RequestFailedException gone) when (gone.Status == 404)
                {
                }
            }
        }
    }

    // seq-N rows hold place N in their key; member rows carry it in Seq.
    private static long? PlaceOf(TableEntity row) =>
        row.RowKey.StartsWith("seq-", StringComparison.Ordinal) && long.TryParse(row.RowKey.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            ? seq
            : row.GetInt64("Seq");

    private async Task<string?> HolderAsync(string lane, long seq, CancellationToken ct)
    {
        var next = await store.Table.GetEntityIfExistsAsync<TableEntity>(lane, SeqRow(seq), cancellationToken: ct);
        return next.HasValue ? next.Value!.GetString("JobId") : null;
    }

    private static string SeqRow(long seq) => "seq-" + seq.ToString("D19", CultureInfo.InvariantCulture);

    private static string MemberRow(string jobId, int round) => $"member-{jobId}-{round.ToString(CultureInfo.InvariantCulture)}";
}
