using System.Diagnostics.Metrics;
using Serverless.Core.Operability;
using Xunit;

namespace Serverless.Tests.Status;

/// <summary>The in-process totals of Serverless.* meters the status page shows, from real <see cref="Meter"/>s.</summary>
public sealed class MeterTotalsTests
{
    private static string NewMeterName() => "Serverless.Tests.Totals." + Guid.NewGuid().ToString("N")[..8];

    [Fact(Timeout = 5_000)]
    public void CountersAndHistogramsAreSummedOverTags()
    {
        using var totals = new MeterTotals();
        using var meter = new Meter(NewMeterName());
        var picks = meter.CreateCounter<long>("dispatch.picks", "{pick}");
        var latency = meter.CreateHistogram<double>("dispatch.latency", "ms");
        picks.Add(2, new KeyValuePair<string, object?>("target", "a"));
        picks.Add(3, new KeyValuePair<string, object?>("target", "b"));
        latency.Record(10);
        latency.Record(20.5);

        var mine = totals.Snapshot().Where(t => t.Meter == meter.Name).ToDictionary(t => t.Instrument);

        Assert.Equal((2L, 5.0, "{pick}", "Counter"), (mine["dispatch.picks"].Measurements, mine["dispatch.picks"].Sum, mine["dispatch.picks"].Unit, mine["dispatch.picks"].Kind));
        Assert.Equal((2L, 30.5, "Histogram"), (mine["dispatch.latency"].Measurements, mine["dispatch.latency"].Sum, mine["dispatch.latency"].Kind));
    }

    [Fact(Timeout = 5_000)]
    public void ObservableGaugesShowTheirCurrentValueNotARunningSum()
    {
        using var totals = new MeterTotals();
        using var meter = new Meter(NewMeterName());
        var inFlight = 7;
        meter.CreateObservableGauge("dispatch.in_flight", () => inFlight);

        var first = totals.Snapshot().Single(t => t.Meter == meter.Name).Sum;
        inFlight = 4;
        var second = totals.Snapshot().Single(t => t.Meter == meter.Name).Sum;

        Assert.Equal((7.0, 4.0), (first, second));
    }

    [Fact(Timeout = 5_000)]
    public void OtherMetersAreIgnoredAndADisposedMeterDisappears()
    {
        using var totals = new MeterTotals();
        using var other = new Meter("Elsewhere." + Guid.NewGuid().ToString("N")[..8]);
        other.CreateCounter<int>("requests").Add(1);
        var name = NewMeterName();
        var meter = new Meter(name);
        meter.CreateCounter<int>("requests").Add(1);

        var before = totals.Snapshot();
        meter.Dispose();
        var after = totals.Snapshot();

        Assert.DoesNotContain(before, t => t.Meter == other.Name);
        Assert.Contains(before, t => t.Meter == name);
        Assert.DoesNotContain(after, t => t.Meter == name);
    }
}
