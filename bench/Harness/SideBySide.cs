namespace Serverless.Bench.Harness;

/// <summary>
/// Ours and the peers measured in turn on the same server and connection (A, B, C, A, B, C, …), each figure the median
/// of its rounds, so a load change on the shared machine hits every contender alike.
/// </summary>
public static class SideBySide
{
    /// <summary>One contender of a row. <paramref name="Kind"/> is "ours", "peer" or "raw" (a baseline of bare commands).</summary>
    public sealed record Contender(string Name, string Kind, Func<ValueTask> Operation);

    /// <summary>A contender's medians at one concurrency.</summary>
    public sealed record Sample(string Operation, string Contender, string Kind, int Concurrency, double OpsPerSecond, double P50Us, double P99Us, RedisProbe.Costs Costs);

    public static async Task<List<Sample>> MeasureAsync(string operation, IReadOnlyList<Contender> contenders, int concurrency, TimeSpan duration, RedisProbe probe, int rounds)
    {
        ArgumentNullException.ThrowIfNull(contenders);
        ArgumentNullException.ThrowIfNull(probe);
        var runs = contenders.Select(_ => new List<(Throughput.Result Result, RedisProbe.Costs Costs)>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < contenders.Count; i++)
            {
                var result = await Throughput.MeasureValueTaskAsync(contenders[i].Name, concurrency, duration, contenders[i].Operation, probe);
                runs[i].Add((result, probe.Last));
                Console.WriteLine($"  {operation} c={concurrency} {contenders[i].Name}: {result.OpsPerSecond:N0} ops/s, {probe.Last.Commands:F2} cmds/op, {probe.Last.Bytes:N0} B/op, {probe.Last.RedisCpuUs:F1} µs Redis CPU/op");
            }
        }

        return [.. contenders.Select((c, i) => new Sample(operation, c.Name, c.Kind, concurrency,
            Median(runs[i].Select(r => r.Result.OpsPerSecond)),
            Median(runs[i].Select(r => r.Result.P50Ms * 1000)),
            Median(runs[i].Select(r => r.Result.P99Ms * 1000)),
            new RedisProbe.Costs(Median(runs[i].Select(r => r.Costs.Commands)), Median(runs[i].Select(r => r.Costs.RoundTrips)),
                Median(runs[i].Select(r => r.Costs.Bytes)), Median(runs[i].Select(r => r.Costs.RedisCpuUs)))))];
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Wraps a Task-returning operation without allocating when it completed synchronously.</summary>
    public static Func<ValueTask> Of(Func<Task> operation) => () => new ValueTask(operation());
}
