namespace Serverless.Core.Records;

/// <summary>
/// Points where a fault campaign (the consistency checker) stalls or stops the records path, as
/// <c>Transactions:Faults</c> does for transactions. Every hook is null unless a test sets it; then it runs at that
/// point and may wait (a slow fill, a paused flusher) or never return (a flusher that dies there).
/// </summary>
public sealed class RecordFaults
{
    /// <summary>Between a read of the table and the cache fill it leads to: a slow reader.</summary>
    public Func<CancellationToken, Task>? BeforeFill { get; set; }

    /// <summary>Before the write-behind flusher reads the dirty log: a paused flusher.</summary>
    public Func<CancellationToken, Task>? BeforeFlush { get; set; }

    /// <summary>After the flusher wrote a batch to the table and before it acknowledges the log: where a crash loses nothing.</summary>
    public Func<CancellationToken, Task>? AfterTableWrite { get; set; }

    internal static Task RunAsync(Func<CancellationToken, Task>? hook, CancellationToken cancellationToken) =>
        hook is null ? Task.CompletedTask : hook(cancellationToken);
}
