using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace Serverless.Core.Messaging;

/// <summary>
/// Settings of the consumer pipeline, section <c>Messaging</c>: the inbox and outbox tables, the outbox relay's
/// schedule, and per consumer (<c>Messaging:Consumers:&lt;name&gt;</c>, e.g. <c>catalog-indexer</c>, <c>dispatch</c>)
/// its attempt limit, backoff and claim lease. A consumer without a section uses <see cref="Defaults"/>.
/// </summary>
public sealed partial class MessagingOptions : IValidatableObject
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Messaging";

    /// <summary>Table of inbox claims (<c>Messaging:InboxTable</c>).</summary>
    public string InboxTable { get; set; } = "messaginginbox";

    /// <summary>Table of outbox batches (<c>Messaging:OutboxTable</c>).</summary>
    public string OutboxTable { get; set; } = "messagingoutbox";

    /// <summary>NCRONTAB of the outbox relay timer (<c>Messaging:OutboxRelaySchedule</c>); writes also nudge it.</summary>
    public string OutboxRelaySchedule { get; set; } = "*/30 * * * * *";

    /// <summary>
    /// How long the inbox remembers a completed piece of work (<c>Messaging:InboxRetention</c>, default and minimum 7
    /// days); older rows are deleted by the outbox relay's timer, once an hour. A duplicate delivered after its row
    /// is gone runs again, so this must outlive every message that can still carry the work: the queue messages this
    /// app sends live for Storage's default time-to-live, 7 days (a visibility delay counts within it). A producer
    /// that sends with a longer or infinite time-to-live needs a longer retention, or effects that absorb repeats.
    /// </summary>
    public TimeSpan InboxRetention { get; set; } = QueueMessageTimeToLive;

    /// <summary>Storage's default message time-to-live, which every queue message this app sends has.</summary>
    public static readonly TimeSpan QueueMessageTimeToLive = TimeSpan.FromDays(7);

    /// <summary>What a consumer without its own section uses (<c>Messaging:Defaults</c>).</summary>
    public ConsumerOptions Defaults { get; set; } = new();

    /// <summary>Per-consumer settings by consumer name (<c>Messaging:Consumers:&lt;name&gt;</c>).</summary>
    public Dictionary<string, ConsumerOptions> Consumers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The settings of one consumer.</summary>
    public ConsumerOptions For(string consumer) => Consumers.TryGetValue(consumer, out var own) ? own : Defaults;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, value) in new[] { ("InboxTable", InboxTable), ("OutboxTable", OutboxTable) })
        {
            if (value is null || !TableName().IsMatch(value))
            {
                yield return new ValidationResult($"'Messaging:{name}' must be a table name: 3-63 letters or digits, starting with a letter.", [name]);
            }
        }

        if (string.IsNullOrWhiteSpace(OutboxRelaySchedule))
        {
            yield return new ValidationResult("'Messaging:OutboxRelaySchedule' must be an NCRONTAB expression, e.g. '*/30 * * * * *'.", [nameof(OutboxRelaySchedule)]);
        }

        if (InboxRetention < QueueMessageTimeToLive)
        {
            yield return new ValidationResult(
                "'Messaging:InboxRetention' must be at least 7.00:00:00, the time-to-live of the queue messages this app sends: a duplicate delivered after its inbox row is deleted would run again.",
                [nameof(InboxRetention)]);
        }

        foreach (var error in (Defaults ?? new()).Problems("Messaging:Defaults"))
        {
            yield return new ValidationResult(error, [nameof(Defaults)]);
        }

        foreach (var (name, consumer) in Consumers ?? [])
        {
            foreach (var error in (consumer ?? new()).Problems($"Messaging:Consumers:{name}"))
            {
                yield return new ValidationResult(error, [nameof(Consumers)]);
            }
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableName();
}

/// <summary>One consumer's retry settings.</summary>
public sealed class ConsumerOptions
{
    /// <summary>Deliveries before a failing message goes to poison (<c>MaxAttempts</c>, 1-100, default 5).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Delay ceiling after the first failure; it doubles per attempt (<c>BackoffBase</c>, default 2 s).</summary>
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest retry delay (<c>BackoffCap</c>, at most 7 days, the queue's limit; default 5 min).</summary>
    public TimeSpan BackoffCap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a claim keeps other deliveries of the same work away; renewed while the handler runs, so it only
    /// bounds how soon a crashed worker's message is taken over (<c>ClaimLease</c>, 5 s-1 h, default 2 min).
    /// </summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(2);

    internal IEnumerable<string> Problems(string path)
    {
        if (MaxAttempts is < 1 or > 100)
        {
            yield return $"'{path}:MaxAttempts' must be 1-100 (was {MaxAttempts}).";
        }

        if (BackoffBase <= TimeSpan.Zero || BackoffBase > BackoffCap)
        {
            yield return $"'{path}:BackoffBase' must be positive and at most '{path}:BackoffCap' (was {BackoffBase}).";
        }

        if (BackoffCap > TimeSpan.FromDays(7))
        {
            yield return $"'{path}:BackoffCap' must be at most 7 days, the longest a Storage queue message can stay invisible (was {BackoffCap}).";
        }

        if (ClaimLease < TimeSpan.FromSeconds(5) || ClaimLease > TimeSpan.FromHours(1))
        {
            yield return $"'{path}:ClaimLease' must be 5 seconds to 1 hour (was {ClaimLease}).";
        }
    }
}
