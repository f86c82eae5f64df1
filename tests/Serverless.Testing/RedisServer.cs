using StackExchange.Redis;

namespace Serverless.Testing;

/// <summary>
/// The test run's Redis: <c>REDIS_CONNECTION</c> when set, else a fresh <c>redis-server</c> (or Garnet from the repo's
/// dotnet tool manifest) on a free loopback port. Flushed before use.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private RedisServer(string connectionString, int port, ChildProcess? process, string flavour)
    {
        ConnectionString = connectionString;
        Port = port;
        Process = process;
        Flavour = flavour;
    }

    public string ConnectionString { get; }

    public int Port { get; }

    /// <summary>The server process this fixture owns; null when <c>REDIS_CONNECTION</c> points elsewhere.</summary>
    public ChildProcess? Process { get; }

    public string Flavour { get; }

    public static async Task<RedisServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable("REDIS_CONNECTION");
        if (!string.IsNullOrWhiteSpace(external))
        {
            var endpoint = ConfigurationOptions.Parse(external).EndPoints.FirstOrDefault();
            var port = endpoint is System.Net.DnsEndPoint dns ? dns.Port : endpoint is System.Net.IPEndPoint ip ? ip.Port : 6379;
            var server = new RedisServer(external, port, null, "external");
            await server.FlushAsync();
            return server;
        }

        var freePort = ListeningSockets.FreePort();
        var (process, flavour) = StartProcess(freePort);
        try
        {
            await process.WaitUntilListeningAsync(freePort, flavour, TimeSpan.FromSeconds(30));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        var started = new RedisServer($"127.0.0.1:{freePort},abortConnect=false", freePort, process, flavour);
        await started.FlushAsync();
        return started;
    }

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync();
        }
    }

    private async Task FlushAsync()
    {
        var options = ConfigurationOptions.Parse(ConnectionString);
        options.AllowAdmin = true;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        foreach (var server in connection.GetServers())
        {
            await server.FlushAllDatabasesAsync();
        }
    }

    private static (ChildProcess Process, string Flavour) StartProcess(int port)
    {
        var redis = Executables.Which("redis-server");
        if (redis is not null)
        {
            return (ChildProcess.Start(redis, ["--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning"]), "redis-server");
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
