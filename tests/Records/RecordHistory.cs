using System.Collections.Concurrent;
using System.Diagnostics;
using Serverless.Core.Records;

namespace Serverless.Tests.Records;

/// <summary>One operation as a client saw it: when it started and ended (Stopwatch ticks), and the version read or written.</summary>
internal sealed record RecordOp(int Client, int Instance, string Key, bool Write, long Start, long End, long Version, CacheLayer Layer, bool Ok, string? WriteId);

/// <summary>An invalidation as an instance applied it.</summary>
internal sealed record RecordDrop(int Instance, string Key, long Version, long At);

/// <summary>What the checker found in one history.</summary>
internal sealed record RecordVerdict(int Reads, int Writes, IReadOnlyList<string> Stale, IReadOnlyList<string> Backwards, int StaleWithinWindow, TimeSpan L1Window, int Drops)
{
    public override string ToString() =>
        $"{Reads} reads, {Writes} acknowledged writes, {Stale.Count} stale beyond the L1 window of {L1Window.TotalMilliseconds:F1} ms " +
        $"({StaleWithinWindow} within it), {Backwards.Count} going backwards, {Drops} L1 drops measured. " +
        string.Join("; ", Stale.Concat(Backwards).Take(5));
}

/// <summary>
/// The history of a run and its checks: no read that starts after a write was acknowledged returns an older version
/// (reads answered by L1 get the measured invalidation window: ack on the writer → drop on the reader's instance), and
/// no client's reads go backwards (its own acknowledged writes count as seen).
/// </summary>
internal sealed class RecordHistory
{
    private readonly ConcurrentQueue<RecordOp> _ops = new();
    private readonly ConcurrentQueue<RecordDrop> _drops = new();

    public IReadOnlyList<RecordOp> Ops => [.. _ops];

    public void Add(RecordOp op) => _ops.Enqueue(op);

    public void Dropped(int instance, string key, long version) => _drops.Enqueue(new RecordDrop(instance, key, version, Stopwatch.GetTimestamp()));

    /// <summary>The last acknowledged write of every key (highest version; versions of one key only grow).</summary>
    public IReadOnlyDictionary<string, RecordOp> LastAcknowledged() => _ops.Where(o => o.Write && o.Ok)
        .GroupBy(o => o.Key).ToDictionary(g => g.Key, g => g.MaxBy(o => o.Version)!);

    /// <summary>For each acknowledged write, how long after its ack the other instance dropped older L1 entries.</summary>
    public List<TimeSpan> L1Windows()
    {
        var drops = _drops.ToLookup(d => (d.Key, d.Version));
        return [.. _ops.Where(o => o.Write && o.Ok)
            .SelectMany(w => drops[(w.Key, w.Version)].Where(d => d.Instance != w.Instance).Select(d => Stopwatch.GetElapsedTime(w.End, d.At)))];
    }

    public RecordVerdict Check()
    {
        var ops = Ops;
        var windows = L1Windows();
        var window = windows.Count == 0 ? TimeSpan.Zero : windows.Max();
        var windowTicks = Math.Max(0, (long)(window.TotalSeconds * Stopwatch.Frequency));
        var writes = ops.Where(o => o.Write && o.Ok).GroupBy(o => o.Key).ToDictionary(g => g.Key, g => g.OrderBy(o => o.End).ToArray());
        var stale = new List<string>();
        var within = 0;
        foreach (var read in ops.Where(o => !o.Write && o.Ok))
        {
            if (!writes.TryGetValue(read.Key, out var keyWrites))
            {
                continue;
            }

            var allowance = read.Layer == CacheLayer.L1 ? windowTicks : 0;
            var strict = NewestBefore(keyWrites, read.Start - allowance);
            if (read.Version < strict)
            {
                stale.Add($"client {read.Client} read {read.Key} v{read.Version} ({read.Layer}) after v{strict} was acknowledged");
            }
            else if (read.Version < NewestBefore(keyWrites, read.Start))
            {
                within++;
            }
        }

        var backwards = new List<string>();
        foreach (var client in ops.Where(o => o.Ok).GroupBy(o => (o.Client, o.Key)))
        {
            var seen = 0L;
            foreach (var op in client.OrderBy(o => o.Start))
            {
                if (!op.Write && op.Version < seen)
                {
                    backwards.Add($"client {op.Client} read {op.Key} v{op.Version} ({op.Layer}) after seeing v{seen}");
                }

                seen = Math.Max(seen, op.Version);
            }
        }

        return new RecordVerdict(ops.Count(o => !o.Write && o.Ok), ops.Count(o => o.Write && o.Ok), stale, backwards, within, window, windows.Count);
    }

    private static long NewestBefore(RecordOp[] writes, long at)
    {
        var newest = 0L;
        foreach (var write in writes)
        {
            if (write.End >= at)
            {
                break;
            }

            newest = Math.Max(newest, write.Version);
        }

        return newest;
    }
}
