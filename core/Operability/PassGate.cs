namespace Serverless.Core.Operability;

/// <summary>
/// Lets a housekeeping pass run at most once per interval in this process, whatever the rate of the timer that calls
/// it: one caller wins each interval, concurrent callers skip.
/// </summary>
internal sealed class PassGate(TimeSpan interval, TimeProvider time)
{
    private long _nextPassTicks;

    public bool TryEnter()
    {
        var now = time.GetUtcNow().UtcTicks;
        var next = Interlocked.Read(ref _nextPassTicks);
        return now >= next && Interlocked.CompareExchange(ref _nextPassTicks, now + interval.Ticks, next) == next;
    }
}
