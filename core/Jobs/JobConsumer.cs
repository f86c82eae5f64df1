using Microsoft.Extensions.Options;
using Serverless.Core.Messaging;

namespace Serverless.Core.Jobs;

/// <summary>
/// The runner's part of the consumer pipeline. The inbox claims by queue message id (a redelivery of one message has
/// no second effect); job-level deduplication (duplicated messages, retries, nudges, all with ids of their own) is
/// the job row's state and lease, so every look at a job reports success to the pipeline and the runner enqueues
/// the job's next attempt itself, with the job's own attempt limit and backoff. Only an exception (a crash, Storage
/// down) becomes a pipeline retry; <c>Messaging:Consumers:jobs</c> bounds those per message, and a job whose message
/// ends in poison is still picked up by the sweep.
/// </summary>
public sealed class JobConsumer(JobRunner runner, IOptions<JobOptions> options) : IMessageHandler<JobMessage>
{
    /// <summary>The consumer's name in <c>Messaging:Consumers</c>.</summary>
    public const string Name = "jobs";

    /// <inheritdoc />
    public string Consumer => Name;

    /// <inheritdoc />
    public string Queue => options.Value.Queue;

    /// <inheritdoc />
    public MessageDecoding<JobMessage> Decode(string body) =>
        JobMessage.Parse(body) is { } message ? MessageDecoding<JobMessage>.Ok(message) : MessageDecoding<JobMessage>.Fail("Not a job message {\"JobId\": \"job-…\"}.");

    /// <inheritdoc />
    public string? InboxKey(JobMessage message) => null;

    /// <inheritdoc />
    public async Task<HandlerResult> HandleAsync(JobMessage message, MessageDelivery delivery, CancellationToken cancellationToken)
    {
        await runner.RunAsync(message, cancellationToken);
        return HandlerResult.Succeeded;
    }
}
