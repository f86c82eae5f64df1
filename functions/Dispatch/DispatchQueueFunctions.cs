using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Dispatch;

namespace Serverless.Functions.Dispatch;

/// <summary>Queue-fed dispatch and the active health probe.</summary>
public sealed class DispatchQueueFunctions(QueueDispatcher dispatcher, DispatchProbe probe)
{
    // Message: {"pool", "path", "payload", "idempotencyKey"}. A failed delivery throws: the runtime retries it
    // (host.json queues.maxDequeueCount) and then moves it to dispatch-requests-poison.
    [Function("DispatchFromQueue")]
    public Task DispatchFromQueue([QueueTrigger(QueueDispatcher.QueueName)] string message, CancellationToken cancellationToken) =>
        dispatcher.HandleAsync(message, cancellationToken);

    // Every 30 s by default (Dispatch:ProbeSchedule); only pools that set a probePath are probed.
    [Function("DispatchProbe")]
    public Task Probe([TimerTrigger("%Dispatch:ProbeSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        probe.RunAsync(cancellationToken);
}
