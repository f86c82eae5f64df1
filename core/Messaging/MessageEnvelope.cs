using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Core.Messaging;

/// <summary>
/// A message with the pipeline's bookkeeping: the form of a retry copy on the source queue and of a poison message.
/// Storage queues carry no message properties, so the attempt count, first sighting and inbox id travel in the body.
/// </summary>
public sealed record MessageEnvelope
{
    /// <summary>The marker value that tells an envelope from a consumer's own message.</summary>
    public const string FormatName = "serverless.messaging/1";

    /// <summary>Always <see cref="FormatName"/>.</summary>
    [JsonPropertyName("$envelope")]
    public string Format { get; init; } = FormatName;

    /// <summary>The inbox id (business id or first message id); null until the body was decoded.</summary>
    public string? Id { get; init; }

    /// <summary>The consumer that handled it.</summary>
    public string? Consumer { get; init; }

    /// <summary>The queue it was read from, and where a replay sends it.</summary>
    public string SourceQueue { get; init; } = "";

    /// <summary>The queue message id of its first delivery.</summary>
    public string MessageId { get; init; } = "";

    /// <summary>Deliveries so far (1 on the first).</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>When the pipeline first saw it.</summary>
    public DateTimeOffset FirstSeen { get; init; }

    /// <summary>When the pipeline last saw it.</summary>
    public DateTimeOffset LastSeen { get; init; }

    /// <summary>How often an operator replayed it from poison.</summary>
    public int ReplayCount { get; init; }

    /// <summary>The last failure.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// The original body when it is JSON, kept as JSON rather than as an escaped string: escaping quotes would grow a
    /// near-limit catalog message past the queue's 64 KiB.
    /// </summary>
    public JsonElement? Json { get; init; }

    /// <summary>The original body when it is not JSON.</summary>
    public string? Text { get; init; }

    /// <summary>The original body.</summary>
    [JsonIgnore]
    public string Body => Json is { } json ? json.GetRawText() : Text ?? "";

    /// <summary>An envelope around a consumer's own message.</summary>
    public static MessageEnvelope Wrap(string body, string sourceQueue, string messageId, DateTimeOffset seen)
    {
        JsonElement? json = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            json = document.RootElement.Clone();
        }
        catch (JsonException)
        {
        }

        return new MessageEnvelope
        {
            SourceQueue = sourceQueue, MessageId = messageId, FirstSeen = seen, LastSeen = seen,
            Json = json, Text = json is null ? body : null,
        };
    }

    /// <summary>The envelope the text holds, or null when it is a consumer's own message.</summary>
    public static MessageEnvelope? TryRead(string text)
    {
        if (string.IsNullOrEmpty(text) || !text.Contains("\"$envelope\"", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            var envelope = JsonSerializer.Deserialize(text, MessagingJson.Default.MessageEnvelope);
            return envelope is { Format: FormatName, Attempt: >= 1, ReplayCount: >= 0 } ? envelope : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The envelope as queue message text.</summary>
    public string ToText() => JsonSerializer.Serialize(this, MessagingJson.Default.MessageEnvelope);
}

/// <summary>Source-generated JSON for the messaging types.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MessageEnvelope))]
public sealed partial class MessagingJson : JsonSerializerContext;
