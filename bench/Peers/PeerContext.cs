using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Bench.Harness;
using Serverless.Testing;
using StackExchange.Redis;

namespace Serverless.Bench.Peers;

/// <summary>
/// What every peer scenario shares: one redis-server, our services built the way the app builds them, the app's
/// connection (which the peers are given too, so every contender talks over the same connection), and the probe.
/// </summary>
public sealed class PeerContext : IAsyncDisposable
{
    private PeerContext(RedisServer redis, AzuriteServer azurite, ServiceProvider provider, ConnectionMultiplexer probeConnection, TimeSpan duration, int rounds)
    {
        Redis = redis;
        Azurite = azurite;
        Provider = provider;
        Connection = provider.GetRequiredService<IConnectionMultiplexer>();
        ProbeConnection = probeConnection;
        Probe = new RedisProbe(Connection, probeConnection.GetServers()[0]);
        Duration = duration;
        Rounds = rounds;
    }

    public RedisServer Redis { get; }

    /// <summary>Table storage for the lock epochs (a fencing token's memory of last resort).</summary>
    public AzuriteServer Azurite { get; }

    public ServiceProvider Provider { get; }

    public IConnectionMultiplexer Connection { get; }

    public RedisProbe Probe { get; }

    public TimeSpan Duration { get; }

    public int Rounds { get; }

    private ConnectionMultiplexer ProbeConnection { get; }

    public static async Task<PeerContext> StartAsync(TimeSpan duration, int rounds, Dictionary<string, string?>? settings = null)
    {
        var redis = await RedisServer.StartAsync();
        var azurite = await AzuriteServer.StartAsync();
        var provider = Build(redis, azurite, settings);
        var probe = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        return new PeerContext(redis, azurite, provider, probe, duration, rounds);
    }

    /// <summary>Another app instance on the same Redis and key prefix (for the cross-instance stampede).</summary>
    public static ServiceProvider Build(RedisServer redis, AzuriteServer azurite, Dictionary<string, string?>? settings)
    {
        var all = new Dictionary<string, string?>(settings ?? [])
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
        };
        return new ServiceCollection().AddLogging().AddServerless(new ConfigurationBuilder().AddInMemoryCollection(all).Build()).BuildServiceProvider();
    }

    /// <summary>The contenders measured in turn at c=1 and c=16.</summary>
    public async Task<List<SideBySide.Sample>> RowAsync(string operation, params SideBySide.Contender[] contenders)
    {
        var samples = new List<SideBySide.Sample>();
        foreach (var concurrency in new[] { 1, 16 })
        {
            samples.AddRange(await SideBySide.MeasureAsync(operation, contenders, concurrency, Duration, Probe, Rounds));
        }

        return samples;
    }

    public async ValueTask DisposeAsync()
    {
        await Provider.DisposeAsync();
        await ProbeConnection.DisposeAsync();
        await Redis.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}
