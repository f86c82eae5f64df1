using Serverless.Testing;
using System.Globalization;
using System.Text;

namespace Serverless.Bench.Harness;

/// <summary>Prints a markdown table of results and their ratio to the baseline measured in the same run, and saves it.</summary>
public sealed class Report(string title)
{
    private readonly StringBuilder _text = new StringBuilder().AppendLine(CultureInfo.InvariantCulture, $"## {title}").AppendLine();

    public Report Line(string text)
    {
        _text.AppendLine(text);
        return this;
    }

    public Report Lines(IEnumerable<string> lines)
    {
        foreach (var line in lines ?? [])
        {
            _text.AppendLine(line);
        }

        return this;
    }

    public Report Table(IEnumerable<(Throughput.Result Ours, Throughput.Result Baseline)> rows)
    {
        _text.AppendLine("| operation | concurrency | ops/s | p50 µs | p99 µs | baseline | baseline ops/s | ratio |");
        _text.AppendLine("|---|---:|---:|---:|---:|---|---:|---:|");
        foreach (var (ours, baseline) in rows)
        {
            _text.AppendLine(CultureInfo.InvariantCulture,
                $"| {ours.Name} | {ours.Concurrency} | {ours.OpsPerSecond:N0} | {ours.P50Ms * 1000:F2} | {ours.P99Ms * 1000:F2} | {baseline.Name} | {baseline.OpsPerSecond:N0} | {ours.OpsPerSecond / baseline.OpsPerSecond:F2}x |");
        }

        _text.AppendLine();
        return this;
    }

    /// <summary>The same operations on two set-ups, each with its own ops/s and latencies, and ours ÷ baseline.</summary>
    public Report SideBySide(string baselineLabel, string oursLabel, IEnumerable<(Throughput.Result Baseline, Throughput.Result Ours)> rows)
    {
        _text.AppendLine(CultureInfo.InvariantCulture,
            $"| operation | concurrency | {baselineLabel} ops/s | p50 µs | p99 µs | {oursLabel} ops/s | p50 µs | p99 µs | {oursLabel} ÷ {baselineLabel} ops/s | p50 ratio |");
        _text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (baseline, ours) in rows)
        {
            _text.AppendLine(CultureInfo.InvariantCulture,
                $"| {ours.Name} | {ours.Concurrency} | {baseline.OpsPerSecond:N0} | {baseline.P50Ms * 1000:F1} | {baseline.P99Ms * 1000:F1} | " +
                $"{ours.OpsPerSecond:N0} | {ours.P50Ms * 1000:F1} | {ours.P99Ms * 1000:F1} | {ours.OpsPerSecond / baseline.OpsPerSecond:F2}x | {ours.P50Ms / baseline.P50Ms:F2}x |");
        }

        _text.AppendLine();
        return this;
    }

    public async Task SaveAsync(string name)
    {
        var text = _text.ToString();
        Console.WriteLine(text);
        var dir = Path.Combine(RepositoryPaths.Root, "bench", "results");
        Directory.CreateDirectory(dir);
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
        await File.WriteAllTextAsync(Path.Combine(dir, name + ".md"),
            text + $"_Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, load average {load} when saved._\n");
    }
}
