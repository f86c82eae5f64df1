using StackExchange.Redis;

namespace Serverless.Core.Sessions;

/// <summary>
/// The index side of the operations that span a session and its principal's index. The two are separate aggregates
/// (a cluster keeps them in different hash slots), so each step is one single-slot command or script, and the order of
/// the steps keeps one invariant whatever step a process dies after: <b>every session whose id was handed out and that
/// is bound to a principal is listed in that principal's <c>live</c> or <c>revoking</c> set</b>, so revoking the
/// principal always reaches it.
/// <list type="bullet">
/// <item>Create writes the session first and admits it to <c>live</c> after; the id is handed out only then. A crash
/// in between leaves a session nobody knows the id of, which expires after the idle timeout.</item>
/// <item>Removal (revoke, eviction) moves handles from <c>live</c> to <c>revoking</c> first, deletes the sessions next
/// and drops the handles last. A crash in between leaves them in <c>revoking</c>, which the next revoke or admission
/// of that principal finishes.</item>
/// <item>An entry whose session is gone (expired, deleted, or a create that never finished) is dead: it is dropped
/// once the principal reaches its limit. A session never comes back under a handle, so this is safe at any time.</item>
/// </list>
/// </summary>
internal sealed class PrincipalIndex(IDatabase db, SessionKeys keys, Func<string, Task> step)
{
    /// <summary>Lists a written session under its principal. False when the principal is at its limit and the policy rejects.</summary>
    public async Task<bool> AdmitAsync(string principal, string handle, long now, long lifetimeMs, SessionOptions limits)
    {
        var reply = await AdmitOnceAsync(principal, handle, now, lifetimeMs, limits, null);
        if ((string?)reply[0] == "check")
        {
            reply = await AdmitOnceAsync(principal, handle, now, lifetimeMs, limits, await DeadAsync((RedisResult[])reply[1]!));
        }

        switch ((string?)reply[0])
        {
            case "limit":
                return false;
            case "ok":
                await EndAsync(principal, (RedisResult[])reply[1]!);
                return true;
            default:
                throw new InvalidOperationException($"Unexpected principal index reply '{reply[0]}'.");
        }
    }

    /// <summary>Ends every session of the principal (and finishes any revocation that was interrupted); returns how many were live.</summary>
    public async Task<int> RevokeAllAsync(string principal)
    {
        var claimed = await PrincipalIndexScripts.Claim.Call()
            .Key("live", keys.Live(principal)).Key("revoking", keys.Revoking(principal))
            .EvaluateAsync(db);
        return await EndAsync(principal, (RedisResult[])claimed!);
    }

    /// <summary>Puts a rotated session's new handle in place of the old one. False when the old one was revoked meanwhile.</summary>
    public async Task<bool> MoveAsync(string principal, string oldHandle, string newHandle) =>
        (long)await PrincipalIndexScripts.Move.Call()
            .Key("live", keys.Live(principal))
            .Arg("old", oldHandle).Arg("new", newHandle)
            .EvaluateAsync(db) == 1;

    /// <summary>Drops the entry of a deleted session (tidiness: a dead entry would be dropped later anyway).</summary>
    public Task ForgetAsync(string principal, string handle) => db.SortedSetRemoveAsync(keys.Live(principal), handle);

    private async Task<RedisResult[]> AdmitOnceAsync(string principal, string handle, long now, long lifetimeMs, SessionOptions limits, string[]? dead)
    {
        var call = PrincipalIndexScripts.Admit.Call(restArgs: dead?.Length ?? 0)
            .Key("live", keys.Live(principal)).Key("revoking", keys.Revoking(principal))
            .Arg("handle", handle)
            .Arg("now", now)
            .Arg("lifetime", lifetimeMs)
            .Arg("max", limits.MaxSessionsPerPrincipal)
            .Arg("policy", limits.PrincipalLimitPolicy == PrincipalLimitPolicy.Reject ? "reject" : "evict")
            .Arg("checked", dead is null ? "0" : "1");
        foreach (var gone in dead ?? [])
        {
            call.RestArg(gone);
        }

        return (RedisResult[])(await call.EvaluateAsync(db))!;
    }

    // One EXISTS per session, pipelined: the sessions are in other slots (often on other nodes) than the index.
    private async Task<string[]> DeadAsync(RedisResult[] handles)
    {
        var names = handles.Select(h => (string)h!).ToArray();
        var exists = await Task.WhenAll(names.Select(h => db.KeyExistsAsync(keys.Session(h))));
        return [.. names.Where((_, i) => !exists[i])];
    }

    // The sessions of handles claimed into `revoking`: delete them, then drop the handles.
    private async Task<int> EndAsync(string principal, RedisResult[] claimed)
    {
        if (claimed.Length == 0)
        {
            return 0;
        }

        await step(SessionSteps.Claimed);
        var handles = claimed.Select(h => (RedisValue)(string)h!).ToArray();
        var deleted = await Task.WhenAll(handles.Select(h => db.KeyDeleteAsync(keys.Session(h!))));
        await step(SessionSteps.Ended);
        await db.SortedSetRemoveAsync(keys.Revoking(principal), handles);
        return deleted.Count(d => d);
    }
}
