using Microsoft.DurableTask;
using Serverless.Core.Locking;
using Serverless.Orchestrations.Locks;

namespace Serverless.Tests.Locks;

/// <summary>Input of <see cref="LockHolderOrchestrator"/>.</summary>
public sealed record LockHolderRun(
    string Lock, string Client, int Acquisitions, int MinLeaseMs, int MaxLeaseMs, double ExpiryChance, double ShortPauseChance, int WaitMs, int Seed);

/// <summary>
/// A client of the entity lock that is itself an orchestration, the way orchestrations use the lock: take it, maybe
/// pause on a durable timer (now and then past the lease, as a stalled or vanished holder would), release it; again
/// and again. Random choices come from the input's seed, so replays make the same ones.
/// Times are the orchestration's clock: the start of the episode that got the grant (after the entity granted), the
/// start of the episode that sends the release (whose messages leave when that episode commits, before the entity
/// can see the release), and the start of the episode that got the release's answer (after the entity decided).
/// </summary>
public sealed class LockHolderOrchestrator : TaskOrchestrator<LockHolderRun, List<LockHold>>
{
    public override async Task<List<LockHold>> RunAsync(TaskOrchestrationContext context, LockHolderRun input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var random = new Random(input.Seed);
        var holds = new List<LockHold>();
        while (holds.Count < input.Acquisitions)
        {
            var lease = random.Next(input.MinLeaseMs, input.MaxLeaseMs + 1);
            var roll = random.NextDouble();
            // Past the lease by over a second: durable timers here can fire up to ~1 s early.
            var pause = roll < input.ExpiryChance ? lease + 1_100 + random.Next(200)
                : roll < input.ExpiryChance + input.ShortPauseChance ? random.Next(50, 200)
                : 0;
            var grant = await context.AcquireLockAsync(input.Lock, input.Client, TimeSpan.FromMilliseconds(lease), TimeSpan.FromMilliseconds(input.WaitMs));
            if (!grant.Holds)
            {
                continue;
            }

            var grantedAt = (DateTimeOffset)context.CurrentUtcDateTime;
            if (pause > 0)
            {
                await context.CreateTimer(TimeSpan.FromMilliseconds(pause), CancellationToken.None);
            }

            var releaseAt = (DateTimeOffset)context.CurrentUtcDateTime;
            var released = await context.ReleaseLockAsync(input.Lock, grant);
            holds.Add(new LockHold(
                input.Lock, input.Client, grant.Token, grantedAt, grant.ExpiresAt!.Value, releaseAt,
                released.Outcome == LockOutcome.Released, context.CurrentUtcDateTime));
        }

        return holds;
    }
}
