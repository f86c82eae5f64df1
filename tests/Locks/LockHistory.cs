using System.Collections.Concurrent;

namespace Serverless.Tests.Locks;

/// <summary>One grant as a client lived it.</summary>
/// <param name="Lock">Lock name.</param>
/// <param name="Client">Which client held it.</param>
/// <param name="Token">The grant's fencing token.</param>
/// <param name="GrantedAt">When the client learned of the grant (after the server granted).</param>
/// <param name="ExpiresAt">The lease end the client was told (entity clock) or assumed (send time + lease on Redis).</param>
/// <param name="ReleaseAt">When the client sent its release (before the server saw it).</param>
/// <param name="Released">Whether the release was accepted; false means the lease had expired (the server said "not holder").</param>
/// <param name="AnsweredAt">When the release's answer was back (after the server decided).</param>
public sealed record LockHold(
    string Lock, string Client, long Token, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt, DateTimeOffset ReleaseAt, bool Released, DateTimeOffset AnsweredAt)
{
    /// <summary>Until when the client could rightly believe it held the lock: its release, or its lease end if that came first.</summary>
    public DateTimeOffset BelievedUntil => ReleaseAt < ExpiresAt ? ReleaseAt : ExpiresAt;

    /// <summary>True when the lease ran out before the holder let go (a paused or vanished holder).</summary>
    public bool PausedPastLease => ReleaseAt >= ExpiresAt;
}

/// <summary>
/// A reusable history checker for any lock: clients record each grant, release and expiry with token and time
/// (all from one clock), and <see cref="Violations"/> checks the history against what a lease lock with fencing
/// tokens promises, per lock:
/// <list type="bullet">
/// <item>no two holders overlap: a grant is never observed before every earlier holder's belief ended;</item>
/// <item>fencing tokens are unique and strictly increase in grant order, across expiries (grants seen only after
/// their lease had ended are left out: they were never held);</item>
/// <item>a holder is never refused while its lease still runs: a refusal answered before the lease end means the
/// server ended the lease early. (A release sent before the lease end may rightly be refused when it arrives after.)</item>
/// </list>
/// Times are conservative on the client side (grant seen after it happened, release sent before it happened), so
/// a violation found is a real one.
/// </summary>
public sealed class LockHistory
{
    private readonly ConcurrentQueue<LockHold> _holds = new();

    public IReadOnlyCollection<LockHold> Holds => _holds;

    /// <summary>
    /// The grants the checks judge. A grant first seen after its lease ended was never held by anyone's belief (its
    /// holder must not act, and its lower token is refused by the resource anyway): it takes no part in them, so a
    /// run must count these, not all grants, to show it checked something.
    /// </summary>
    public IReadOnlyList<LockHold> Checked => _holds.Where(h => h.GrantedAt < h.ExpiresAt).ToList();

    public void Record(LockHold hold) => _holds.Enqueue(hold);

    public IReadOnlyList<string> Violations()
    {
        var violations = new List<string>();
        foreach (var perLock in Checked.GroupBy(h => h.Lock))
        {
            var ordered = perLock.OrderBy(h => h.GrantedAt).ThenBy(h => h.Token).ToList();
            LockHold? longest = null;
            LockHold? previous = null;
            foreach (var hold in ordered)
            {
                if (longest is not null && hold.GrantedAt < longest.BelievedUntil)
                {
                    violations.Add($"{perLock.Key}: {hold.Client} (token {hold.Token}) was granted at {hold.GrantedAt:O} while " +
                        $"{longest.Client} (token {longest.Token}) held it until {longest.BelievedUntil:O}.");
                }

                if (previous is not null && hold.Token <= previous.Token)
                {
                    violations.Add($"{perLock.Key}: token {hold.Token} ({hold.Client}) granted after token {previous.Token} ({previous.Client}).");
                }

                if (!hold.Released && hold.AnsweredAt < hold.ExpiresAt)
                {
                    violations.Add($"{perLock.Key}: {hold.Client} (token {hold.Token}) was refused by {hold.AnsweredAt:O} before its lease ended at {hold.ExpiresAt:O}.");
                }

                if (longest is null || hold.BelievedUntil > longest.BelievedUntil)
                {
                    longest = hold;
                }

                previous = hold;
            }
        }

        return violations;
    }
}
