using Serverless.Core.Messaging;
using Xunit;

namespace Serverless.Tests.Messaging;

public sealed class BackoffTests
{
    [Fact]
    public void DelaysDoubleWithTheAttemptUpToTheCapAndStayWithinTheUpperHalfOfTheirCeiling()
    {
        var random = new Random(13);
        var ceilings = Enumerable.Range(1, 8).Select(a => Backoff.Ceiling(a, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1))).ToList();

        Assert.Equal([2, 4, 8, 16, 32, 60, 60, 60], ceilings.Select(c => c.TotalSeconds));
        for (var attempt = 1; attempt <= 8; attempt++)
        {
            for (var i = 0; i < 200; i++)
            {
                Assert.InRange(Backoff.Delay(attempt, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1), random), ceilings[attempt - 1] / 2, ceilings[attempt - 1]);
            }
        }
    }

    [Fact]
    public void RetriesOfOneAttemptAreSpreadOutByTheJitter()
    {
        var random = new Random(7);
        var delays = Enumerable.Range(0, 100).Select(_ => Backoff.Delay(3, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), random)).ToList();

        Assert.True(delays.Max() - delays.Min() > TimeSpan.FromSeconds(1.5), $"spread {delays.Max() - delays.Min()}");
    }

    [Fact]
    public void AVeryHighAttemptStaysAtTheCap() =>
        Assert.Equal(TimeSpan.FromDays(7), Backoff.Ceiling(10_000, TimeSpan.FromSeconds(2), TimeSpan.FromDays(7)));
}
