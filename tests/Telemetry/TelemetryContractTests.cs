using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Serverless.Core.Telemetry;
using Serverless.Functions.Telemetry;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Telemetry;

public sealed class TelemetryContractTests
{
    [Fact]
    public void EveryServerlessInstrumentIsDocumentedWithItsUnitUnderItsMeter()
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "telemetry.md"));
        var instruments = PublishedInstruments();

        Assert.Equal(ServerlessTelemetry.MeterNames.Order(), instruments.Select(i => i.Meter.Name).Distinct().Order());
        Assert.All(ServerlessTelemetry.MeterNames, m => Assert.StartsWith(ServerlessTelemetry.Prefix, m, StringComparison.Ordinal));
        Assert.All(ServerlessTelemetry.MeterNames, m => Assert.Contains($"## {m}\n", docs, StringComparison.Ordinal));
        Assert.All(instruments, i =>
        {
            var row = docs.Split('\n').SingleOrDefault(l => l.StartsWith($"| `{i.Name}` |", StringComparison.Ordinal));
            Assert.True(row is not null, $"{i.Name} is not documented in docs/telemetry.md");
            Assert.Contains($"| `{i.Unit}` |", row, StringComparison.Ordinal);
            var heading = docs[..docs.IndexOf(row, StringComparison.Ordinal)].Split("\n## ").Last().Split('\n')[0];
            Assert.Equal(i.Meter.Name, heading);
            Assert.False(string.IsNullOrEmpty(i.Description));
        });
    }

    [Theory]
    [InlineData(null, null, false, false)]
    [InlineData("InstrumentationKey=00000000-0000-0000-0000-000000000000", null, true, false)]
    [InlineData(null, "http://127.0.0.1:4318", false, true)]
    [InlineData("InstrumentationKey=00000000-0000-0000-0000-000000000000", "http://127.0.0.1:4318", true, true)]
    public void TheWorkerExportsToWhatIsConfiguredAndCollectsNothingOtherwise(string? connectionString, string? otlp, bool azureMonitor, bool otlpExport)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [WorkerTelemetry.AzureMonitorSetting] = connectionString,
            [WorkerTelemetry.OtlpSetting] = otlp,
        }).Build();
        var services = new ServiceCollection();

        var export = services.AddWorkerTelemetry(configuration);

        Assert.Equal((azureMonitor, otlpExport), (export.AzureMonitor, export.Otlp));
        Assert.Equal(export.Any, services.Any(s => s.ServiceType == typeof(TracerProvider)));
        Assert.Equal(export.Any, services.Any(s => s.ServiceType == typeof(MeterProvider)));
    }

    // Publishing happens when a listener starts; the static meters exist once their class is initialised.
    private static List<Instrument> PublishedInstruments()
    {
        foreach (var type in typeof(ServerlessTelemetry).Assembly.GetTypes().Where(t => t.Namespace == typeof(ServerlessTelemetry).Namespace && t.Name.EndsWith("Metrics", StringComparison.Ordinal)))
        {
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        }

        var found = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name.StartsWith(ServerlessTelemetry.Prefix, StringComparison.Ordinal))
                {
                    lock (found)
                    {
                        found.Add(instrument);
                    }
                }
            },
        };
        listener.Start();
        return found;
    }
}
