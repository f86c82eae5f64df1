using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Serverless.Testing.Durable;

/// <summary>
/// The durable backend's last warnings and partition-ownership events, kept in memory so a wait that times out can
/// say what the backend went through (a lost lease, an abandoned work item, a throttled queue) instead of only the
/// instance's last status. Everything else is dropped: the backend logs every message at Information.
/// </summary>
public sealed class RecentBackendLogs : ILoggerProvider
{
    private const int Capacity = 60;
    private static readonly string[] OwnershipWords = ["Lease", "Partition", "Abandon", "Ownership", "Lost"];
    private readonly ConcurrentQueue<string> _entries = new();

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    /// <summary>The kept entries, oldest first, one per line (empty when the backend reported nothing notable).</summary>
    public string Describe(int last = 25) => string.Join(Environment.NewLine, _entries.TakeLast(last));

    public void Dispose()
    {
    }

    private static bool Notable(LogLevel level, EventId id, string message) =>
        level >= LogLevel.Warning
        || OwnershipWords.Any(w => (id.Name ?? "").Contains(w, StringComparison.Ordinal) || message.Contains(w, StringComparison.Ordinal));

    private void Add(string entry)
    {
        _entries.Enqueue(entry);
        while (_entries.Count > Capacity && _entries.TryDequeue(out _))
        {
        }
    }

    private sealed class Recorder(RecentBackendLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && category.StartsWith("DurableTask", StringComparison.Ordinal);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            if (Notable(logLevel, eventId, message))
            {
                var text = message.Length > 300 ? message[..300] + "…" : message;
                owner.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {eventId.Name}: {text}{(exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")}");
            }
        }
    }
}
