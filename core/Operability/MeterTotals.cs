using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace Serverless.Core.Operability;

/// <summary>
/// Running totals of every instrument of every meter whose name starts with <c>Serverless.</c>, summed over all tags,
/// for the status page. Listens in-process from start-up (a <see cref="MeterListener"/>; exporters see the same
/// measurements independently), so it works with no exporter configured and with no instruments at all.
/// </summary>
/// <remarks>
/// A hand-written listener because OpenTelemetry's in-memory exporter is a test tool that keeps every metric point;
/// a page needs only one running sum per instrument, which <see cref="MeterListener"/> gives directly.
/// </remarks>
public sealed class MeterTotals : IHostedService, IDisposable
{
    /// <summary>The meter name prefix the status page shows.</summary>
    public const string MeterPrefix = "Serverless.";

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Total> _totals = new();
    private readonly Lock _snapshotGate = new();

    /// <summary>Starts listening to every current and future <c>Serverless.*</c> instrument.</summary>
    public MeterTotals()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal))
            {
                _totals.TryAdd(instrument, new Total());
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.MeasurementsCompleted = (instrument, state) => _totals.TryRemove(instrument, out var removed);
        _listener.SetMeasurementEventCallback<long>((i, v, _, _) => Record(i, v));
        _listener.SetMeasurementEventCallback<int>((i, v, _, _) => Record(i, v));
        _listener.SetMeasurementEventCallback<short>((i, v, _, _) => Record(i, v));
        _listener.SetMeasurementEventCallback<byte>((i, v, _, _) => Record(i, v));
        _listener.SetMeasurementEventCallback<double>((i, v, _, _) => Record(i, v));
        _listener.SetMeasurementEventCallback<float>((i, v, _, _) => Record(i, v));
        _listener.SetMeasurementEventCallback<decimal>((i, v, _, _) => Record(i, (double)v));
        _listener.Start();
    }

    /// <summary>One line per instrument, ordered by meter and instrument name; observable instruments are read now.</summary>
    public IReadOnlyList<InstrumentTotal> Snapshot()
    {
        lock (_snapshotGate)
        {
            foreach (var (instrument, total) in _totals)
            {
                if (instrument.IsObservable)
                {
                    total.Reset();
                }
            }

            _listener.RecordObservableInstruments();
        }

        return _totals
            .Select(p => p.Value.View(p.Key))
            .OrderBy(t => t.Meter, StringComparer.Ordinal)
            .ThenBy(t => t.Instrument, StringComparer.Ordinal)
            .ToList();
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value)
    {
        if (_totals.TryGetValue(instrument, out var total))
        {
            total.Add(value);
        }
    }

    private sealed class Total
    {
        private readonly Lock _gate = new();
        private double _sum;
        private long _count;

        public void Add(double value)
        {
            lock (_gate)
            {
                _sum += value;
                _count++;
            }
        }

        // An observable instrument reports its whole current value on each read, so its total restarts per read.
        public void Reset()
        {
            lock (_gate)
            {
                _sum = 0;
                _count = 0;
            }
        }

        public InstrumentTotal View(Instrument instrument)
        {
            lock (_gate)
            {
                var kind = instrument.GetType().Name.Split('`')[0];
                return new InstrumentTotal(instrument.Meter.Name, instrument.Name, kind, instrument.Unit, instrument.Description, _count, _sum);
            }
        }
    }
}

/// <summary>An instrument's totals since start-up (for an observable one: its value at the last read).</summary>
/// <param name="Meter">Meter name.</param>
/// <param name="Instrument">Instrument name.</param>
/// <param name="Kind">Instrument type: Counter, Histogram, UpDownCounter, ObservableGauge, ...</param>
/// <param name="Unit">Unit, if declared.</param>
/// <param name="Description">Description, if declared.</param>
/// <param name="Measurements">How many measurements were recorded.</param>
/// <param name="Sum">Their sum over every tag combination.</param>
public sealed record InstrumentTotal(string Meter, string Instrument, string Kind, string? Unit, string? Description, long Measurements, double Sum);
