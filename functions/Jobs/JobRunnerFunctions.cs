using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Jobs;
using Serverless.Core.Messaging;

namespace Serverless.Functions.Jobs;

/// <summary>The queue-triggered job runner and the sweep that re-enqueues jobs a crash left without a message.</summary>
public sealed class JobRunnerFunctions(MessagePipeline pipeline, JobConsumer consumer, JobSweeper sweeper)
{
    [Function("RunJob")]
    public Task Run([QueueTrigger("%Jobs:Queue%")] QueueMessage message, CancellationToken cancellationToken) =>
        pipeline.ProcessAsync(consumer, message, cancellationToken);

    // Every minute by default (Jobs:SweepSchedule); it only touches jobs stuck longer than Jobs:StuckAfter.
    [Function("SweepJobs")]
    public Task Sweep([TimerTrigger("%Jobs:SweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        sweeper.SweepAsync(cancellationToken);
}
