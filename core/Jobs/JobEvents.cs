using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serverless.Core.Messaging.Publishing;

namespace Serverless.Core.Jobs;

/// <summary>
/// Job events (<c>job.submitted</c>, <c>job.succeeded</c>, <c>job.dead</c>) for downstream consumers. Best effort:
/// the job's state in the table is the truth and is written first, so a broker outage never fails or repeats a
/// job; it only loses that event (logged). Event ids are derived from the job, state, attempt and replay, so a
/// repeated publish is dropped by the topic's duplicate detection.
/// </summary>
public sealed partial class JobEvents(IEventPublisher publisher, ILogger<JobEvents> logger)
{
    /// <summary>Publishes the event for the job's current state.</summary>
    public async Task PublishAsync(JobRecord job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!publisher.IsEnabled)
        {
            return;
        }

        var type = job.State switch
        {
            JobState.Succeeded => "job.succeeded",
            JobState.Dead => "job.dead",
            _ => "job.submitted",
        };
        var id = string.Create(CultureInfo.InvariantCulture, $"{job.Id}:{type}:{job.ReplayCount}:{job.Attempts}");
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id = job.Id,
            type,
            state = JobView.StateName(job.State),
            pool = job.Request.Pool,
            orderingKey = job.Request.OrderingKey,
            attempts = job.Attempts,
            lastStatusCode = job.LastStatusCode,
            lastError = job.LastError,
            replayCount = job.ReplayCount,
        });
        // A delayed job's submission is delivered when the job becomes due (Service Bus scheduled delivery).
        var deliverAt = type == "job.submitted" && job.Request.Delay > TimeSpan.Zero ? job.NotBefore : (DateTimeOffset?)null;
        try
        {
            await publisher.PublishAsync([new PublishedEvent(id, type, job.Id, body, job.Request.OrderingKey, deliverAt)], ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPublishFailed(logger, type, job.Id, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job event {Type} of {JobId} not published")]
    private static partial void LogPublishFailed(ILogger logger, string type, string jobId, Exception exception);
}
