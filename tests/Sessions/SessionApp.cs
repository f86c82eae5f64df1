using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Core.Sessions;
using Serverless.Functions.Sessions;
using Serverless.Tests.Infrastructure;
using StackExchange.Redis;

namespace Serverless.Tests.Sessions;

/// <summary>An app instance with its own key prefix, so session tests never see each other's keys.</summary>
internal sealed class SessionApp : IDisposable
{
    private readonly IHost _host;

    private SessionApp(IHost host, string prefix)
    {
        _host = host;
        Prefix = prefix;
    }

    public string Prefix { get; }

    public RedisSessionStore Store => _host.Services.GetRequiredService<RedisSessionStore>();

    public IDatabase Redis => _host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    public IServer RedisServer => _host.Services.GetRequiredService<IConnectionMultiplexer>().GetServers()[0];

    public SessionFunctions Functions => ActivatorUtilities.CreateInstance<SessionFunctions>(_host.Services);

    public SessionLifecycleFunctions Lifecycle => ActivatorUtilities.CreateInstance<SessionLifecycleFunctions>(_host.Services);

    public SessionOptions Options => _host.Services.GetRequiredService<IOptions<SessionOptions>>().Value;

    public static async Task<SessionApp> StartAsync(ServicesFixture services, Dictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var prefix = $"t{Guid.NewGuid():N}"[..12] + ":";
        var all = new Dictionary<string, string?>(settings ?? []) { ["Redis:KeyPrefix"] = prefix };
        var host = await services.StartAppAsync(all, s =>
        {
            if (time is not null)
            {
                s.AddSingleton(time);
            }
        });
        return new SessionApp(host, prefix);
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

    public static Dictionary<string, JsonElement> Attributes(params (string Name, object? Value)[] values) =>
        values.ToDictionary(v => v.Name, v => JsonSerializer.SerializeToElement(v.Value));

    public void Dispose() => _host.Dispose();
}
