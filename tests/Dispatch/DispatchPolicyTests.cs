using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Dispatch;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>Policy decisions straight against the store (one Lua pick each), on the shared Redis.</summary>
[RedisBacked]
public sealed class DispatchPolicyTests(ServicesFixture services)
{
    private const string FiveOneOne = """
        {"policy":"weighted-round-robin","targets":[
          {"id":"a","url":"http://a.test","weight":5},{"id":"b","url":"http://b.test","weight":1},{"id":"c","url":"http://c.test","weight":1}]}
        """;

    [Fact(Timeout = 15_000)]
    public async Task SmoothWeightedRoundRobinFollowsTheNginxSequence()
    {
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("swrr", FiveOneOne);

        var picks = new List<string>();
        for (var i = 0; i < 14; i++)
        {
            picks.Add(await app.PickAsync("swrr"));
        }

        Assert.Equal("aabacaa" + "aabacaa", string.Concat(picks));
    }

    [Fact(Timeout = 30_000)]
    public async Task TenThousandPicksFromTwoInstancesMatchTheWeightsInEverySevenPickWindow()
    {
        var prefix = $"t{Guid.NewGuid():N}"[..12] + ":";
        using var first = await DispatchApp.StartSharingAsync(services, prefix);
        using var second = await DispatchApp.StartSharingAsync(services, prefix);
        await first.SavePoolAsync("shared", FiveOneOne);
        var picks = new ConcurrentBag<(long Sequence, string Target)>();
        var next = -1;

        // 64 concurrent callers spread over both instances; Redis orders them into one sequence.
        await Task.WhenAll(Enumerable.Range(0, 64).Select(worker => Task.Run(async () =>
        {
            var app = worker % 2 == 0 ? first : second;
            while (Interlocked.Increment(ref next) < 10_000)
            {
                var lease = (await app.Store.PickAsync("shared")).Lease!;
                picks.Add((lease.Sequence, lease.TargetId));
            }
        }, TestContext.Current.CancellationToken)));

        var ordered = picks.OrderBy(p => p.Sequence).ToList();
        Assert.Equal(Enumerable.Range(1, 10_000).Select(i => (long)i), ordered.Select(p => p.Sequence));
        for (var window = 0; window + 7 <= ordered.Count; window += 7)
        {
            var counts = ordered.Skip(window).Take(7).GroupBy(p => p.Target).ToDictionary(g => g.Key, g => g.Count());
            Assert.True(counts.GetValueOrDefault("a") == 5 && counts.GetValueOrDefault("b") == 1 && counts.GetValueOrDefault("c") == 1,
                $"window at {window}: {string.Join(",", counts.Select(c => $"{c.Key}={c.Value}"))}");
        }

        foreach (var (target, weight) in new[] { ("a", 5.0), ("b", 1.0), ("c", 1.0) })
        {
            var share = ordered.Count(p => p.Target == target) / 10_000.0;
            Assert.InRange(share, (weight / 7) - 0.005, (weight / 7) + 0.005);
        }
    }

    [Fact(Timeout = 15_000)]
    public async Task RoundRobinVisitsEachTargetInTurnIgnoringWeightsButNotZeroWeights()
    {
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("rr", """
            {"policy":"round-robin","targets":[{"id":"a","url":"http://a.test","weight":9},{"id":"b","url":"http://b.test"},
              {"id":"drained","url":"http://d.test","weight":0},{"id":"c","url":"http://c.test"}]}
            """);

        var picks = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            picks.Add(await app.PickAsync("rr"));
        }

        Assert.Equal(["a", "b", "c", "a", "b", "c"], picks);
    }

    [Fact(Timeout = 20_000)]
    public async Task PowerOfTwoChoicesSamplesTwoDistinctTargetsNeverAnEjectedOneAndPicksTheCheaper()
    {
        var clock = DispatchApp.Clock();
        using var app = await DispatchApp.StartAsync(services, new() { ["Dispatch:FailureThreshold"] = "2" }, clock);
        await app.SavePoolAsync("p2c", """
            {"policy":"power-of-two-choices","targets":[{"id":"slow","url":"http://s.test","weight":3},{"id":"b","url":"http://b.test"},
              {"id":"c","url":"http://c.test","weight":2},{"id":"ejected","url":"http://e.test","weight":5},{"id":"zero","url":"http://z.test","weight":0}]}
            """);
        await app.Store.RecordAsync("p2c", "slow", null, Outcome.Success, TimeSpan.FromMilliseconds(100));
        await app.Store.RecordAsync("p2c", "b", null, Outcome.Success, TimeSpan.FromMilliseconds(2));
        await app.Store.RecordAsync("p2c", "c", null, Outcome.Success, TimeSpan.FromMilliseconds(3));
        await app.Store.RecordAsync("p2c", "ejected", null, Outcome.Failure, null);
        Assert.True((await app.Store.RecordAsync("p2c", "ejected", null, Outcome.Failure, null)).Ejected);

        var sampledPairs = new HashSet<string>();
        for (var i = 0; i < 1_500; i++)
        {
            var lease = (await app.Store.PickAsync("p2c")).Lease!;
            await app.Store.RecordAsync(lease, Outcome.Released, null);

            Assert.Equal(2, lease.Samples.Count);
            Assert.NotEqual(lease.Samples[0], lease.Samples[1]);
            Assert.DoesNotContain("ejected", lease.Samples);
            Assert.DoesNotContain("zero", lease.Samples);
            Assert.Contains(lease.TargetId, lease.Samples);
            Assert.NotEqual("slow", lease.TargetId);
            sampledPairs.Add(string.Join('+', lease.Samples.Order(StringComparer.Ordinal)));
        }

        // Every distinct pair of the three admitted targets came up: the sampling is random, not fixed.
        Assert.Equal(["b+c", "b+slow", "c+slow"], sampledPairs.Order(StringComparer.Ordinal));
    }

    [Fact(Timeout = 15_000)]
    public async Task PowerOfTwoChoicesWithOneAdmittedTargetPicksIt()
    {
        var clock = DispatchApp.Clock();
        using var app = await DispatchApp.StartAsync(services, new() { ["Dispatch:FailureThreshold"] = "1" }, clock);
        await app.SavePoolAsync("p2c1", """{"policy":"power-of-two-choices","targets":[{"id":"a","url":"http://a.test"},{"id":"b","url":"http://b.test"}]}""");
        await app.Store.RecordAsync("p2c1", "a", null, Outcome.Failure, null);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("b", await app.PickAsync("p2c1"));
        }
    }

    [Fact(Timeout = 15_000)]
    public async Task LeastConnectionsSendsToTheTargetHoldingFewerLeases()
    {
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("lc", """{"policy":"least-connections","targets":[{"id":"a","url":"http://a.test"},{"id":"b","url":"http://b.test","weight":2}]}""");

        // Weighted: b (weight 2) takes two leases for every one of a's.
        var held = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            held.Add(await app.PickAsync("lc"));
        }

        Assert.Equal(3, held.Count(t => t == "a"));
        Assert.Equal(6, held.Count(t => t == "b"));
    }

    [Fact(Timeout = 15_000)]
    public async Task LeastResponseTimePrefersTheLowerPeakEwmaLatency()
    {
        var clock = DispatchApp.Clock();
        using var app = await DispatchApp.StartAsync(services, time: clock);
        await app.SavePoolAsync("lrt", """{"policy":"least-response-time","targets":[{"id":"slow","url":"http://s.test"},{"id":"fast","url":"http://f.test"}]}""");
        await app.Store.RecordAsync("lrt", "slow", null, Outcome.Success, TimeSpan.FromMilliseconds(75));
        await app.Store.RecordAsync("lrt", "fast", null, Outcome.Success, TimeSpan.FromMilliseconds(8));

        // Cost is latency × (in flight + 1): fast holds nine (8 × 9 = 72 < 75) before slow is cheaper (8 × 10 = 80 > 75).
        var held = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            held.Add(await app.PickAsync("lrt"));
        }

        Assert.All(held, t => Assert.Equal("fast", t));
        Assert.Equal("slow", await app.PickAsync("lrt"));

        // A peak is taken at once: one slow answer from fast makes it the expensive one.
        await app.Store.RecordAsync("lrt", "fast", null, Outcome.Success, TimeSpan.FromMilliseconds(500));
        var view = (await app.Store.GetAsync("lrt"))!;
        Assert.Equal(500, view.Targets.Single(t => t.Id == "fast").LatencyMs);
    }

    [Fact(Timeout = 15_000)]
    public async Task LeaseOfACrashedRequestExpiresAndStopsCounting()
    {
        var clock = DispatchApp.Clock();
        using var app = await DispatchApp.StartAsync(services, new() { ["Dispatch:LeaseDuration"] = "00:00:30" }, clock);
        await app.SavePoolAsync("lease", """{"policy":"least-connections","targets":[{"id":"a","url":"http://a.test"},{"id":"b","url":"http://b.test"}]}""");

        var crashed = (await app.Store.PickAsync("lease")).Lease!;
        var other = crashed.TargetId == "a" ? "b" : "a";
        for (var i = 0; i < 5; i++)
        {
            var lease = (await app.Store.PickAsync("lease")).Lease!;
            Assert.Equal(other, lease.TargetId);
            await app.Store.RecordAsync(lease, Outcome.Success, TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(1, (await app.Store.GetAsync("lease"))!.Targets.Single(t => t.Id == crashed.TargetId).InFlight);

        clock.Advance(TimeSpan.FromSeconds(31));

        Assert.All((await app.Store.GetAsync("lease"))!.Targets, t => Assert.Equal(0, t.InFlight));
        var after = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var lease = (await app.Store.PickAsync("lease")).Lease!;
            after.Add(lease.TargetId);
            await app.Store.RecordAsync(lease, Outcome.Success, TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(2, after.Count(t => t == crashed.TargetId));
    }
}
