using System.Globalization;
using System.Text;

namespace Serverless.Bench.Harness;

/// <summary>The peers report: a summary of ours ÷ each peer, then per scenario every contender with its costs per op.</summary>
public static class PeerReport
{
    public static string Summary(IEnumerable<IReadOnlyList<SideBySide.Sample>> scenarios)
    {
        var text = new StringBuilder()
            .AppendLine("| operation | peer | ours ÷ peer, c=1 | ours ÷ peer, c=16 |")
            .AppendLine("|---|---|---:|---:|");
        foreach (var samples in scenarios ?? [])
        {
            foreach (var peer in samples.Where(s => s.Kind == "peer").Select(s => s.Contender).Distinct())
            {
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {samples[0].Operation} | {peer} | {Ratio(samples, peer, 1)} | {Ratio(samples, peer, 16)} |");
            }
        }

        return text.ToString();
    }

    public static string Table(IReadOnlyList<SideBySide.Sample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var text = new StringBuilder()
            .AppendLine("| c | contender | ops/s | p50 µs | p99 µs | Redis commands/op | Redis CPU µs/op | round trips/op | bytes allocated/op | ours ÷ this |")
            .AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in samples)
        {
            var ours = samples.First(o => o.Kind == "ours" && o.Concurrency == s.Concurrency);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Concurrency} | {s.Contender} | {s.OpsPerSecond:N0} | {s.P50Us:F1} | {s.P99Us:F1} | {s.Costs.Commands:F2} | {s.Costs.RedisCpuUs:F1} | {s.Costs.RoundTrips:F2} | {s.Costs.Bytes:N0} | {(s.Kind == "ours" ? "" : $"{ours.OpsPerSecond / s.OpsPerSecond:F2}x")} |");
        }

        return text.ToString();
    }

    private static string Ratio(IReadOnlyList<SideBySide.Sample> samples, string peer, int concurrency)
    {
        var ours = samples.FirstOrDefault(s => s.Kind == "ours" && s.Concurrency == concurrency);
        var other = samples.FirstOrDefault(s => s.Contender == peer && s.Concurrency == concurrency);
        return ours is null || other is null ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{ours.OpsPerSecond / other.OpsPerSecond:F2}x");
    }
}
