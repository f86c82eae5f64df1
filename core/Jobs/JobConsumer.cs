using Azure.Storage.Queues.Models;

namespace Serverless.Core.Jobs;

/// <summary>What the runner's queue trigger calls: decodes the message and runs its job.</summary>
public sealed class JobConsumer(JobRunner runner)
{
    /// <summary>Handles one queue message; a message that is not a job message throws (the host moves it to poison).</summary>
    public async Task<JobRun> HandleAsync(QueueMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var job = JobMessage.Parse(message.Body.ToString()) ?? throw new FormatException("The message is not a job message {\"JobId\": \"job-…\"}.");
        return await runner.RunAsync(job, ct);
    }
}
