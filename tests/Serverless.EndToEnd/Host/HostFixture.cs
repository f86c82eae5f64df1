using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.EndToEnd.Host;
using Serverless.Testing;
using Xunit;

[assembly: AssemblyFixture(typeof(HostFixture))]

namespace Serverless.EndToEnd.Host;

/// <summary>
/// One Redis, one Azurite and one Functions host running the app's build output for the whole run. The app's settings
/// are <c>local.settings.sample.json</c>'s, as a new user gets them, pointed at this run's services; timers run every
/// few seconds so their effects can be seen. <see cref="App"/> is an in-process container over the same services for
/// seeding and inspecting state that has no HTTP route.
/// </summary>
public sealed class HostFixture : IAsyncLifetime
{
    // A cold host on a busy 2-core machine: measured 8.5-15 s quiet; give it ample margin.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly ServicesFixture _services = new();
    private readonly OtlpReceiver _otlp = OtlpReceiver.Start();
    private FunctionsHost? _host;
    private IHost? _app;

    /// <summary>How long the host took from process start to its first 200 from <c>/api/health</c>.</summary>
    public TimeSpan StartUpTime { get; private set; }

    public FunctionsHost Host => _host ?? throw new InvalidOperationException("The Functions host did not start.");

    public IServiceProvider App => _app?.Services ?? throw new InvalidOperationException("The in-process app did not start.");

    public ServicesFixture Services => _services;

    /// <summary>What the host and its worker exported over OTLP.</summary>
    public OtlpReceiver Otlp => _otlp;

    /// <summary>How long finished orchestrations are kept under the host (History:Retention).</summary>
    public static TimeSpan HistoryRetention { get; } = TimeSpan.FromSeconds(45);

    /// <summary>Settings the host got beyond the sample's, as Section:Name keys for the in-process app too.</summary>
    public static IReadOnlyDictionary<string, string> Overrides { get; } = new Dictionary<string, string>
    {
        ["DurableTaskHubName"] = $"e2e{Guid.NewGuid():N}"[..16],
        ["Storage:NetworkTimeout"] = ServicesFixture.BusyMachineStorageTimeout,
        ["Search:WarmupSchedule"] = "*/2 * * * * *",
        ["Search:SnapshotSchedule"] = "*/3 * * * * *",
        ["Dispatch:ProbeSchedule"] = "*/2 * * * * *",
        // The dispatch scenario's backend is on loopback, which the allowlist refuses unless listed explicitly.
        ["Dispatch:AllowedNetworks:0"] = "127.0.0.1/32",
        ["Transactions:RecoverySchedule"] = "*/2 * * * * *",
        // Recovery resolves only reservations older than this; the scenario makes one that old on purpose.
        ["Transactions:RecoverAfter"] = "00:00:05",
        ["History:PurgeSchedule"] = "*/2 * * * * *",
        ["Messaging:OutboxRelaySchedule"] = "*/2 * * * * *",
        // Long enough that the other scenarios read their finished instances before the purge takes them.
        ["History:Retention"] = HistoryRetention.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        // The jobs scenario leaves a job without a message and waits for the sweep to find it.
        ["Jobs:SweepSchedule"] = "*/2 * * * * *",
        ["Jobs:LeaseDuration"] = "00:00:02",
        ["Jobs:StuckAfter"] = "00:00:03",
        ["Jobs:BackoffBase"] = "00:00:00.200",
    };

    public async ValueTask InitializeAsync()
    {
        await _services.InitializeAsync();
        var settings = SampleSettings();
        settings["AzureWebJobsStorage"] = _services.Azurite.ConnectionString;
        settings["Redis__ConnectionString"] = _services.Redis.ConnectionString;
        foreach (var (key, value) in Overrides)
        {
            settings[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        // Host and worker export to the run's collector, often enough that a test sees its own calls in seconds.
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = _otlp.Endpoint.ToString();
        settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        settings["OTEL_BSP_SCHEDULE_DELAY"] = "500";
        settings["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";

        var started = DateTime.UtcNow;
        _host = FunctionsHost.Start(RepositoryPaths.FunctionsOutput, settings);
        await _host.WaitUntilReadyAsync(StartTimeout);
        StartUpTime = DateTime.UtcNow - started;
        _app = await _services.StartAppAsync(Overrides.ToDictionary(p => p.Key, p => (string?)p.Value));
    }

    /// <summary>A client for the host; with <paramref name="key"/> it sends the master key as <c>x-functions-key</c>.</summary>
    public HttpClient Client(bool key = true)
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(Host.BaseAddress, "api/"),
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (key)
        {
            client.DefaultRequestHeaders.Add("x-functions-key", FunctionsHost.MasterKey);
        }

        return client;
    }

    public T Get<T>() where T : notnull => App.GetRequiredService<T>();

    /// <summary>Fails with the host's own lines when it disabled <paramref name="function"/> at indexing.</summary>
    public void AssertIndexed(string function)
    {
        var errors = Host.IndexingErrors.Where(l => l.Contains(function, StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, $"The host disabled {function} at indexing:\n{string.Join('\n', errors)}");
    }

    public async ValueTask DisposeAsync()
    {
        _app?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        await _services.DisposeAsync();
        await _otlp.DisposeAsync();
    }

    /// <summary>The Values of <c>local.settings.sample.json</c>, which Core Tools turn into environment variables.</summary>
    private static Dictionary<string, string?> SampleSettings()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "local.settings.sample.json")));
        return sample.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
    }
}
