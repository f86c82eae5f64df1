namespace Serverless.Core.Messaging;

/// <summary>
/// Retry delays: exponential in the attempt, capped, with "equal jitter" (half fixed, half random) so retries of a
/// burst spread out but never come back sooner than half the schedule. Written here because it is one formula:
/// Polly 8 keeps its delay helper internal and runs retries in-process, where a queue retry has to outlive the process.
/// </summary>
public static class Backoff
{
    /// <summary>The delay before attempt <paramref name="failedAttempt"/> + 1.</summary>
    public static TimeSpan Delay(int failedAttempt, TimeSpan baseDelay, TimeSpan cap, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempt, 1);
        ArgumentNullException.ThrowIfNull(random);
        var ceiling = Ceiling(failedAttempt, baseDelay, cap);
        return ceiling / 2 + ceiling / 2 * random.NextDouble();
    }

    /// <summary>The longest delay after <paramref name="failedAttempt"/>; the shortest is half of it.</summary>
    public static TimeSpan Ceiling(int failedAttempt, TimeSpan baseDelay, TimeSpan cap)
    {
        // 2^30 base delays exceed any cap: stop doubling before the TimeSpan arithmetic overflows.
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failedAttempt - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(exponential, cap.TotalMilliseconds));
    }
}
