namespace Serverless.Bench.Harness;

/// <summary>One bar chart per scenario: ops/s of each contender, grouped by concurrency (c=1, c=16).</summary>
public static class PeerChart
{
    private static readonly ScottPlot.Color[] Palette =
        [ScottPlot.Colors.SteelBlue, ScottPlot.Colors.OrangeRed, ScottPlot.Colors.DarkGoldenRod, ScottPlot.Colors.SeaGreen, ScottPlot.Colors.Gray];

    public static string Save(string title, IReadOnlyList<SideBySide.Sample> samples, string path)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var contenders = samples.Select(s => s.Contender).Distinct().ToList();
        var levels = samples.Select(s => s.Concurrency).Distinct().Order().ToList();
        var plot = new ScottPlot.Plot();
        var bars = new List<ScottPlot.Bar>();
        var width = contenders.Count + 1;
        for (var g = 0; g < levels.Count; g++)
        {
            for (var c = 0; c < contenders.Count; c++)
            {
                var sample = samples.FirstOrDefault(s => s.Concurrency == levels[g] && s.Contender == contenders[c]);
                if (sample is not null)
                {
                    bars.Add(new ScottPlot.Bar
                    {
                        Position = (g * width) + c + 1,
                        Value = sample.OpsPerSecond,
                        FillColor = Palette[c % Palette.Length],
                        Label = Short(sample.OpsPerSecond),
                    });
                }
            }
        }

        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. levels.Select((_, g) => (g * width) + ((contenders.Count + 1) / 2.0))], [.. levels.Select(l => $"c={l}")]);
        plot.Axes.SetLimits(0, levels.Count * width, 0, bars.Count == 0 ? 1 : bars.Max(b => b.Value) * 1.15);
        for (var c = 0; c < contenders.Count; c++)
        {
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = contenders[c], FillColor = Palette[c % Palette.Length] });
        }

        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.Title(title);
        plot.YLabel("operations per second (higher is better)");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 900, 500);
        return path;
    }

    private static string Short(double value) => value >= 1_000_000 ? $"{value / 1_000_000:F1}M" : value >= 1_000 ? $"{value / 1_000:F1}k" : $"{value:F0}";
}
