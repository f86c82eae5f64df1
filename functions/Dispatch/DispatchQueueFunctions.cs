using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Dispatch;
using Serverless.Core.Messaging;

namespace Serverless.Functions.Dispatch;

/// <summary>Queue-fed dispatch and the active health probe.</summary>
public sealed class DispatchQueueFunctions(QueueDispatcher dispatcher, MessagePipeline pipeline, DispatchProbe probe)
{
    // Message: {"pool", "path", "payload", "idempotencyKey"}. The pipeline retries a failed delivery with backoff and
    // poisons it with an envelope in dispatch-requests-poison (core/Messaging/README.md).
    [Function("DispatchFromQueue")]
    public Task DispatchFromQueue([QueueTrigger(QueueDispatcher.QueueName)] QueueMessage message, CancellationToken cancellationToken) =>
        pipeline.ProcessAsync(dispatcher, message, cancellationToken);

    // Every 30 s by default (Dispatch:ProbeSchedule); only pools that set a probePath are probed.
    [Function("DispatchProbe")]
    public Task Probe([TimerTrigger("%Dispatch:ProbeSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        probe.RunAsync(cancellationToken);
}
