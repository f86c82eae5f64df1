using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Dispatch;
using Serverless.Core.Storage;
using Serverless.Functions.Dispatch;
using Serverless.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>An app instance with its own key prefix (or a shared one, to act as a second instance of the same app).</summary>
internal sealed class DispatchApp : IDisposable
{
    private readonly IHost _host;

    private DispatchApp(IHost host, string prefix)
    {
        _host = host;
        Prefix = prefix;
    }

    public string Prefix { get; }

    public IServiceProvider Services => _host.Services;

    public DispatchStore Store => _host.Services.GetRequiredService<DispatchStore>();

    public DispatchForwarder Forwarder => _host.Services.GetRequiredService<DispatchForwarder>();

    public QueueDispatcher Queue => _host.Services.GetRequiredService<QueueDispatcher>();

    public DispatchProbe Probe => _host.Services.GetRequiredService<DispatchProbe>();

    public StorageClients Storage => _host.Services.GetRequiredService<StorageClients>();

    public IServer RedisServer => _host.Services.GetRequiredService<IConnectionMultiplexer>().GetServers()[0];

    public DispatchPoolFunctions Pools => ActivatorUtilities.CreateInstance<DispatchPoolFunctions>(_host.Services);

    public DispatchForwardFunction Forward => ActivatorUtilities.CreateInstance<DispatchForwardFunction>(_host.Services);

    public static Task<DispatchApp> StartAsync(ServicesFixture services, Dictionary<string, string?>? settings = null, TimeProvider? time = null) =>
        StartSharingAsync(services, $"t{Guid.NewGuid():N}"[..12] + ":", settings, time);

    /// <summary>An instance over <paramref name="prefix"/>: two apps with one prefix share every pool.</summary>
    public static async Task<DispatchApp> StartSharingAsync(ServicesFixture services, string prefix, Dictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var all = new Dictionary<string, string?>(settings ?? []) { ["Redis:KeyPrefix"] = prefix };
        var host = await services.StartAppAsync(all, s =>
        {
            if (time is not null)
            {
                s.AddSingleton(time);
            }
        });
        return new DispatchApp(host, prefix);
    }

    /// <summary>A fake clock on a whole millisecond, the resolution the scripts keep.</summary>
    public static FakeTimeProvider Clock() => new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));

    /// <summary>Creates a pool from JSON through the same parser the HTTP API uses.</summary>
    public async Task SavePoolAsync(string pool, string json)
    {
        using var document = JsonDocument.Parse(json);
        var (definition, error) = PoolDefinitionParser.Parse(document.RootElement);
        Assert.True(definition is not null, error);
        await Store.SaveAsync(pool, definition!);
    }

    public async Task<List<string>> KeysAsync()
    {
        var keys = new List<string>();
        await foreach (var key in RedisServer.KeysAsync(pattern: Prefix + "*"))
        {
            keys.Add(key!);
        }

        return keys;
    }

    public async Task<string> PickAsync(string pool)
    {
        var pick = await Store.PickAsync(pool);
        Assert.Equal(PickStatus.Picked, pick.Status);
        return pick.Lease!.TargetId;
    }

    public void Dispose() => _host.Dispose();
}
