using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Messaging.Outbox;

namespace Serverless.Functions.Queues;

/// <summary>The outbox relay's timer: sends what a write's own nudge did not (it failed, or the instance died).</summary>
public sealed class OutboxRelayFunction(OutboxRelay relay)
{
    // Every 30 s by default (Messaging:OutboxRelaySchedule).
    [Function("OutboxRelay")]
    public Task Relay([TimerTrigger("%Messaging:OutboxRelaySchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        relay.RelayPendingAsync(cancellationToken);
}
