using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Jobs;

namespace Serverless.Functions.Jobs;

/// <summary>The queue-triggered job runner and the sweep that re-enqueues jobs a crash left without a message.</summary>
public sealed class JobRunnerFunctions(JobConsumer consumer, JobSweeper sweeper)
{
    [Function("RunJob")]
    public Task Run([QueueTrigger("%Jobs:Queue%")] QueueMessage message, CancellationToken cancellationToken) =>
        consumer.HandleAsync(message, cancellationToken);

    // Every minute by default (Jobs:SweepSchedule); it only touches jobs stuck longer than Jobs:StuckAfter.
    [Function("SweepJobs")]
    public Task Sweep([TimerTrigger("%Jobs:SweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        sweeper.SweepAsync(cancellationToken);
}
