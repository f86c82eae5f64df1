using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Messaging;
using Serverless.Core.Messaging.Outbox;

namespace Serverless.Functions.Queues;

/// <summary>
/// The outbox relay's timer: sends what a write's own nudge did not (it failed, or the instance died), and is the
/// messaging housekeeping timer: once an hour it deletes inbox rows past Messaging:InboxRetention.
/// </summary>
public sealed class OutboxRelayFunction(OutboxRelay relay, InboxRetention inboxRetention)
{
    // Every 30 s by default (Messaging:OutboxRelaySchedule).
    [Function("OutboxRelay")]
    public async Task Relay([TimerTrigger("%Messaging:OutboxRelaySchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        await relay.RelayPendingAsync(cancellationToken);
        await inboxRetention.DeleteExpiredIfDueAsync(cancellationToken);
    }
}
