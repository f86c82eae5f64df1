using Serverless.Core.Messaging;

namespace Serverless.Functions.Queues;

/// <summary>A poison message as the admin API shows it: the envelope's fields with the original body as text.</summary>
internal sealed record PoisonView(
    string MessageId, DateTimeOffset? PoisonedAt, bool ByRuntime, string? Id, string? Consumer, string SourceQueue, string OriginalMessageId,
    int Attempts, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, int ReplayCount, string? Error, string Body)
{
    public static PoisonView Of(PoisonMessage message)
    {
        var e = message.Envelope;
        return new(message.MessageId, message.InsertedOn, message.ByRuntime, e.Id, e.Consumer, e.SourceQueue, e.MessageId,
            e.Attempt, e.FirstSeen, e.LastSeen, e.ReplayCount, e.Error, e.Body);
    }
}
