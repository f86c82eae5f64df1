using Serverless.Core.Locking;

namespace Serverless.Tests.Locks;

/// <summary>Shape of a history run: how many locks and clients, lease lengths and how holders pause.</summary>
/// <param name="Locks">Locks used in parallel (each lock's history is checked on its own).</param>
/// <param name="ClientsPerLock">Clients competing for each lock.</param>
/// <param name="Acquisitions">Grants to collect in total before the clients stop.</param>
/// <param name="MinLease">Shortest lease asked for (random between min and max).</param>
/// <param name="MaxLease">Longest lease asked for.</param>
/// <param name="ExpiryChance">Chance that a holder pauses past its lease (a GC pause or a vanished holder).</param>
/// <param name="MaxShortPause">Longest ordinary pause while holding.</param>
/// <param name="Wait">How long a client waits for a grant.</param>
public sealed record LockHistoryLoad(
    int Locks, int ClientsPerLock, int Acquisitions, TimeSpan MinLease, TimeSpan MaxLease, double ExpiryChance, TimeSpan MaxShortPause, TimeSpan Wait);

/// <summary>Drives many concurrent clients against an <see cref="IDistributedLock"/> and records a <see cref="LockHistory"/>.</summary>
public static class LockHistoryRun
{
    public static async Task<LockHistory> RunAsync(IDistributedLock locks, string prefix, LockHistoryLoad load, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(locks);
        ArgumentNullException.ThrowIfNull(load);
        var history = new LockHistory();
        var granted = 0;
        var clock = TimeProvider.System;
        var clients = from l in Enumerable.Range(0, load.Locks)
                      from c in Enumerable.Range(0, load.ClientsPerLock)
                      select RunClientAsync($"{prefix}-{l}", $"client-{l}-{c}");
        await Task.WhenAll(clients);
        return history;

        async Task RunClientAsync(string name, string client)
        {
            var random = new Random(HashCode.Combine(name, client));
            while (Volatile.Read(ref granted) < load.Acquisitions)
            {
                var lease = load.MinLease + (load.MaxLease - load.MinLease) * random.NextDouble();
                lease = TimeSpan.FromMilliseconds(Math.Round(lease.TotalMilliseconds));
                var grant = await locks.AcquireAsync(name, client, lease, load.Wait, cancellationToken);
                if (!grant.Holds)
                {
                    continue;
                }

                var seenAt = clock.GetUtcNow();
                Interlocked.Increment(ref granted);
                var pause = random.NextDouble() < load.ExpiryChance
                    ? lease + TimeSpan.FromMilliseconds(20 + random.Next(80))
                    : load.MaxShortPause * random.NextDouble();
                await Task.Delay(pause, cancellationToken);
                var releaseAt = clock.GetUtcNow();
                var released = await locks.ReleaseAsync(name, grant.Owner!, grant.Token, cancellationToken);
                history.Record(new LockHold(
                    name, client, grant.Token, seenAt, grant.ExpiresAt!.Value, releaseAt, released.Outcome == LockOutcome.Released, clock.GetUtcNow()));
            }
        }
    }
}
