using StackExchange.Redis;

namespace Serverless.Testing;

/// <summary>
/// The test run's Redis: <c>REDIS_CONNECTION</c> when set, else one fresh <c>redis-server</c> (or Garnet from the
/// repo's dotnet tool manifest) on a free loopback port, or with <c>REDIS_TOPOLOGY=cluster</c> a local 3-master Redis
/// Cluster (see <see cref="LocalRedisCluster"/>). Every primary is flushed before use.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private RedisServer(string connectionString, RedisTopology topology, int port, IReadOnlyList<RedisNode> nodes, string flavour)
    {
        ConnectionString = connectionString;
        Topology = topology;
        Port = port;
        Nodes = nodes;
        Flavour = flavour;
    }

    /// <summary>A StackExchange.Redis configuration string; for a cluster it lists every node.</summary>
    public string ConnectionString { get; }

    public RedisTopology Topology { get; }

    /// <summary>The port of the first (on one node, the only) server.</summary>
    public int Port { get; }

    /// <summary>The server processes this fixture owns; empty when <c>REDIS_CONNECTION</c> points elsewhere.</summary>
    public IReadOnlyList<RedisNode> Nodes { get; }

    /// <summary>The process of the first (on one node, the only) server; null when <c>REDIS_CONNECTION</c> points elsewhere.</summary>
    public ChildProcess? Process => Nodes.Count > 0 ? Nodes[0].Process : null;

    public string Flavour { get; }

    /// <summary><c>REDIS_CONNECTION</c> when set, else a local server of the topology <c>REDIS_TOPOLOGY</c> names.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable("REDIS_CONNECTION");
        return string.IsNullOrWhiteSpace(external)
            ? await StartAsync(RedisTopologySetting.FromEnvironment())
            : await FlushedAsync(await ConnectExternalAsync(external));
    }

    /// <summary>A local server of <paramref name="topology"/>, whatever the environment says.</summary>
    public static async Task<RedisServer> StartAsync(RedisTopology topology)
    {
        if (topology == RedisTopology.Cluster)
        {
            var nodes = await LocalRedisCluster.StartAsync();
            return await FlushedAsync(new RedisServer(
                LocalRedisCluster.ConnectionString(nodes), RedisTopology.Cluster, nodes[0].Port, nodes, "redis-server cluster"));
        }

        return await FlushedAsync(await StartSingleAsync());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }

    private static async Task<RedisServer> FlushedAsync(RedisServer server)
    {
        try
        {
            await server.FlushAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    private static async Task<RedisServer> ConnectExternalAsync(string connectionString)
    {
        var endpoint = ConfigurationOptions.Parse(connectionString).EndPoints.FirstOrDefault();
        var port = endpoint is System.Net.DnsEndPoint dns ? dns.Port : endpoint is System.Net.IPEndPoint ip ? ip.Port : 6379;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(connectionString);
        var topology = connection.GetServers().Any(s => s.ServerType == ServerType.Cluster) ? RedisTopology.Cluster : RedisTopology.Single;
        return new RedisServer(connectionString, topology, port, [], "external");
    }

    private static async Task<RedisServer> StartSingleAsync()
    {
        var port = ListeningSockets.FreePort();
        var (process, flavour) = StartProcess(port);
        try
        {
            await process.WaitUntilListeningAsync(port, flavour, TimeSpan.FromSeconds(30));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return new RedisServer($"127.0.0.1:{port},abortConnect=false", RedisTopology.Single, port, [new RedisNode(port, process)], flavour);
    }

    private async Task FlushAsync()
    {
        var options = ConfigurationOptions.Parse(ConnectionString);
        options.AllowAdmin = true;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        await connection.FlushEveryPrimaryAsync();
    }

    private static (ChildProcess Process, string Flavour) StartProcess(int port)
    {
        var redis = Executables.Which("redis-server");
        if (redis is not null)
        {
            return (ChildProcess.Start(redis, OwnRedisServer.BaseArguments(port)), "redis-server");
        }

        var garnetManifest = Path.Combine(RepositoryPaths.Root, ".config", "dotnet-tools.json");
        var garnetInstalled = Directory.Exists(Path.Combine(
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages", "garnet-server"));
        if (File.Exists(garnetManifest) && garnetInstalled)
        {
            return (ChildProcess.Start("dotnet", ["tool", "run", "garnet-server", "--", "--bind", "127.0.0.1", "--port", $"{port}", "--lua"],
                RepositoryPaths.Root), "garnet-server");
        }

        throw new InvalidOperationException(
            "No Redis server for the tests: install one with 'apt-get install -y redis-server' (or run 'dotnet tool restore' " +
            "in the repo root for the Garnet fallback), or set REDIS_CONNECTION to a running Redis. './dev.sh test' does this for you.");
    }
}
