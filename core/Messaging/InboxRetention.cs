using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Serverless.Core.Messaging;

/// <summary>
/// Keeps the inbox table from growing forever: deletes rows older than <see cref="MessagingOptions.InboxRetention"/>.
/// Called from the outbox relay's timer (every 30 s), it scans at most once per <see cref="PassInterval"/> per process.
/// </summary>
public sealed partial class InboxRetention(Inbox inbox, IOptions<MessagingOptions> options, TimeProvider time, ILogger<InboxRetention> logger)
{
    /// <summary>Retention is days; an hourly scan keeps the table within an hour of it.</summary>
    public static readonly TimeSpan PassInterval = TimeSpan.FromHours(1);

    private readonly Operability.PassGate _gate = new(PassInterval, time);

    /// <summary>Runs <see cref="DeleteExpiredAsync"/> if no pass ran in this process within <see cref="PassInterval"/>.</summary>
    public async Task<int> DeleteExpiredIfDueAsync(CancellationToken ct = default)
    {
        if (!_gate.TryEnter())
        {
            return 0;
        }

        return await DeleteExpiredAsync(ct);
    }

    /// <summary>Deletes inbox rows older than the retention; returns how many.</summary>
    public async Task<int> DeleteExpiredAsync(CancellationToken ct = default)
    {
        var deleted = await inbox.DeleteOlderThanAsync(time.GetUtcNow() - options.Value.InboxRetention, ct);
        if (deleted > 0)
        {
            LogDeleted(logger, deleted, options.Value.InboxRetention);
        }

        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbox retention: {Count} rows older than {Retention} deleted")]
    private static partial void LogDeleted(ILogger logger, int count, TimeSpan retention);
}
