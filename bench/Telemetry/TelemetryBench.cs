using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Serverless.Bench.Dispatch;
using Serverless.Bench.Harness;
using Serverless.Core.Dispatch;
using Serverless.Core.Search;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Index;
using Serverless.Core.Search.Query;
using Serverless.Core.Sessions;
using Serverless.Core.Telemetry;
using Serverless.Testing;
using StackExchange.Redis;

namespace Serverless.Bench.Telemetry;

/// <summary>
/// The cost of telemetry on the hottest paths (search L1 hit, session get, dispatch pick): the same operations with no
/// listener, then with a MeterProvider and a TracerProvider listening the way the worker does and exporting over OTLP
/// to a local endpoint, alternated in rounds of the same run so drift in machine load falls on both sides.
/// </summary>
/// <remarks>
/// "On" is measured twice: with only the providers listening (what the instruments on the path cost), and with every
/// operation inside a sampled span standing in for the worker's invocation span, so Redis commands are traced too (what
/// an operation costs in a traced request). The second includes starting and exporting that span, which the worker pays
/// once per invocation, not once per lookup.
/// </remarks>
public static class TelemetryBench
{
    private const int Rounds = 7;

    private static readonly ActivitySource Invocation = new("Serverless.Bench.Invocation");

    public static async Task RunAsync(TimeSpan duration)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var collector = await Backend.StartAsync("otlp");
        collector.KeepRequests = false;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["Search:IndexDirectory"] = Path.Combine(Path.GetTempPath(), "serverless-bench-index", Guid.NewGuid().ToString("N")),
            // Picks take leases that nobody records: keep them short so the lease sets stay small.
            ["Dispatch:LeaseDuration"] = "00:00:02",
            ["Dispatch:Timeout"] = "00:00:01",
        }).Build();
        await using var provider = new ServiceCollection().AddLogging().AddServerless(configuration).BuildServiceProvider();
        var connection = provider.GetRequiredService<IConnectionMultiplexer>();

        var index = provider.GetRequiredService<SearchIndex>();
        index.Open(null, 1, "0-0");
        index.AddAll(ProductGenerator.Generate(2_000, seed: 42));
        var search = provider.GetRequiredService<SearchService>();
        var hot = new SearchRequest("wireless headphones").Parse().Query!;
        await search.SearchAsync(hot);

        var sessions = provider.GetRequiredService<RedisSessionStore>();
        var attributes = Enumerable.Range(0, 10).ToDictionary(i => $"attr{i}", i => JsonSerializer.SerializeToElement($"value-{i}-{new string('x', 16)}"));
        var session = (await sessions.CreateAsync("bench-user", attributes)).Session!;

        var dispatch = provider.GetRequiredService<DispatchStore>();
        await dispatch.SaveAsync("bench", DispatchBench.Pool("round-robin", [.. Enumerable.Range(1, 4).Select(i => $"http://10.0.0.{i}:8080")]));

        var paths = new (string Name, Func<ValueTask> Run)[]
        {
            ("search, L1 hit", () =>
            {
                var pending = search.SearchAsync(hot);
                return pending.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(pending.AsTask());
            }),
            ("session get", () => new ValueTask(sessions.GetAsync(session.Id))),
            ("dispatch pick", () => new ValueTask(dispatch.PickAsync("bench"))),
        };

        // Noise on a shared 2-core machine is larger than the effect: each round measures off, listening and traced back
        // to back on one path, and the cost is the median of the rounds' ratios (adjacent measurements share the load).
        var modes = new[] { Mode.Off, Mode.Listening, Mode.Traced };
        var results = paths.ToDictionary(p => p.Name, _ => modes.ToDictionary(m => m, _ => new List<Throughput.Result>()));
        foreach (var (name, run) in paths)
        {
            // Round -1 is thrown away: it takes the path in every mode through tiered JIT before anything counts.
            for (var round = -1; round < Rounds; round++)
            {
                foreach (var mode in modes)
                {
                    using var telemetry = mode == Mode.Off ? null : Listen(connection, collector.Url);
                    var operation = mode == Mode.Traced ? InSpan(run) : run;
                    var result = await Throughput.MeasureValueTaskAsync($"{name} ({Describe(mode)})", 1, duration, operation);
                    if (round >= 0)
                    {
                        results[name][mode].Add(result);
                    }
                }
            }
        }

        var report = new Report("Telemetry cost on the hottest paths: off vs on (same Redis, same run, alternated)")
            .Line($"Redis: {redis.Flavour}; 1 caller; per path a warm-up round, then {Rounds} rounds of off → listening → traced back to back, {duration.TotalSeconds:F1} s per measurement after its own warm-up.")
            .Line("Listening: a MeterProvider (`Serverless.*` + HTTP client meters) and a TracerProvider (`Serverless.*`, `Azure.*`, HTTP client, Redis) as the worker builds them, exporting over OTLP/HTTP to a local endpoint.")
            .Line("Traced: the same, with each operation inside a sampled span standing in for the worker's invocation span (so its Redis commands become spans); that span's own cost is paid once per invocation in the worker, not once per operation.")
            .Line("Cost = off ops/s ÷ on ops/s − 1 per round, median over the rounds (ops/s columns: median rounds). Goal: listening ≤ 5% on each path.")
            .Line("")
            .Line("| path | off ops/s | off p50 µs | listening ops/s | p50 µs | listening cost | traced ops/s | p50 µs | traced cost |")
            .Line("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, _) in paths)
        {
            var off = results[name][Mode.Off];
            var listening = results[name][Mode.Listening];
            var traced = results[name][Mode.Traced];
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {Median(off).OpsPerSecond:N0} | {Median(off).P50Ms * 1000:F2} | {Median(listening).OpsPerSecond:N0} | {Median(listening).P50Ms * 1000:F2} | {Cost(off, listening)} | {Median(traced).OpsPerSecond:N0} | {Median(traced).P50Ms * 1000:F2} | {Cost(off, traced)} |"));
        }

        report.Line("").Line("Every round (ops/s):").Line("");
        foreach (var (name, _) in paths)
        {
            var rounds = modes.Select(m => Describe(m) + " " + string.Join(" / ", results[name][m].Select(r => r.OpsPerSecond.ToString("N0", CultureInfo.InvariantCulture))));
            report.Line($"- {name}: {string.Join("; ", rounds)}");
        }

        await report.Line("").SaveAsync("telemetry");
    }

    private enum Mode
    {
        Off,
        Listening,
        Traced,
    }

    private static string Describe(Mode mode) => mode switch { Mode.Off => "off", Mode.Listening => "listening", _ => "traced" };

    // The same sources and instruments as WorkerTelemetry.AddServerlessTracing/AddServerlessMetrics (the bench does not
    // reference the Functions project), exporting over OTLP/HTTP to the local endpoint.
    private static Providers Listen(IConnectionMultiplexer redis, string collector)
    {
        var meters = Sdk.CreateMeterProviderBuilder()
            .AddMeter(ServerlessTelemetry.MeterWildcard)
            .AddHttpClientInstrumentation()
            .AddOtlpExporter((exporter, reader) =>
            {
                Otlp(exporter, collector, "/v1/metrics");
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 1_000;
            })
            .Build();
        var traces = Sdk.CreateTracerProviderBuilder()
            .SetSampler(new AlwaysOnSampler())
            .AddSource(Invocation.Name)
            .AddSource(ServerlessTelemetry.ActivitySourceWildcard)
            .AddSource(ServerlessTelemetry.AzureActivitySources)
            .AddHttpClientInstrumentation()
            .AddRedisInstrumentation(redis, o => o.SetVerboseDatabaseStatements = false)
            .AddOtlpExporter(exporter => Otlp(exporter, collector, "/v1/traces"))
            .Build();
        return new Providers(meters, traces);
    }

    private static void Otlp(OtlpExporterOptions exporter, string collector, string path)
    {
        exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
        exporter.Endpoint = new Uri(collector + path);
    }

    private static Func<ValueTask> InSpan(Func<ValueTask> run) => async () =>
    {
        using var span = Invocation.StartActivity("invocation", ActivityKind.Server);
        await run();
    };

    private static Throughput.Result Median(List<Throughput.Result> rounds) => rounds.OrderBy(r => r.OpsPerSecond).ElementAt(rounds.Count / 2);

    private static string Cost(List<Throughput.Result> off, List<Throughput.Result> on)
    {
        var ratios = off.Zip(on, (a, b) => (a.OpsPerSecond / b.OpsPerSecond) - 1).Order().ToList();
        return string.Create(CultureInfo.InvariantCulture, $"{ratios[ratios.Count / 2]:+0.0%;-0.0%}");
    }

    private sealed class Providers(MeterProvider meters, TracerProvider traces) : IDisposable
    {
        public void Dispose()
        {
            traces.Dispose();
            meters.Dispose();
        }
    }
}
