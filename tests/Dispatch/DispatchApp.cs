using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Dispatch;
using Serverless.Core.Storage;
using Serverless.Functions.Dispatch;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>A dispatch app instance (see <see cref="TestApp"/>); <see cref="StartSharingAsync"/> makes a second instance of the same app.</summary>
internal sealed class DispatchApp(IHost host, string prefix) : TestApp(host, prefix)
{
    public DispatchStore Store => Get<DispatchStore>();

    public DispatchForwarder Forwarder => Get<DispatchForwarder>();

    public QueueDispatcher Queue => Get<QueueDispatcher>();

    public DispatchProbe Probe => Get<DispatchProbe>();

    public StorageClients Storage => Get<StorageClients>();

    public DispatchPoolFunctions Pools => Create<DispatchPoolFunctions>();

    public DispatchForwardFunction Forward => Create<DispatchForwardFunction>();

    /// <summary>
    /// The allowlist every test app starts with: the loopback backends (through the documented escape hatch, an
    /// explicit 127.0.0.1/32), the reserved <c>.test</c> names pools are written with, and <c>dispatch-*</c> queues.
    /// A setting passed to <see cref="StartAsync"/> replaces the entry at the same index.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> Allowlist { get; } = new Dictionary<string, string?>
    {
        ["Dispatch:AllowedNetworks:0"] = "127.0.0.1/32",
        ["Dispatch:AllowedHosts:0"] = "*.test",
        ["Dispatch:AllowedQueues:0"] = "dispatch-*",
    };

    public static Task<DispatchApp> StartAsync(ServicesFixture services, Dictionary<string, string?>? settings = null, TimeProvider? time = null) =>
        StartSharingAsync(services, NewPrefix(), settings, time);

    /// <summary>An instance over <paramref name="prefix"/>: two apps with one prefix share every pool.</summary>
    public static async Task<DispatchApp> StartSharingAsync(ServicesFixture services, string prefix, Dictionary<string, string?>? settings = null, TimeProvider? time = null) =>
        new(await StartHostAsync(services, prefix, WithAllowlist(settings), time), prefix);

    private static Dictionary<string, string?> WithAllowlist(Dictionary<string, string?>? settings)
    {
        var all = new Dictionary<string, string?>(Allowlist);
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        return all;
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

    public async Task<string> PickAsync(string pool)
    {
        var pick = await Store.PickAsync(pool);
        Assert.Equal(PickStatus.Picked, pick.Status);
        return pick.Lease!.TargetId;
    }
}
