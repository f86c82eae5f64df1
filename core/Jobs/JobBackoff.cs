namespace Serverless.Core.Jobs;

/// <summary>
/// Wait before attempt n+1: base·2^(n-1), capped, with "equal jitter" (half fixed, half random) so jobs failing
/// together do not all come back together, while the wait never drops below half the schedule.
/// </summary>
public static class JobBackoff
{
    /// <summary>The wait after <paramref name="attempts"/> failed attempts.</summary>
    public static TimeSpan After(int attempts, TimeSpan baseDelay, TimeSpan cap, double random)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 30);
        var full = Math.Min(cap.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(full / 2 + (full / 2 * Math.Clamp(random, 0, 1)));
    }
}
