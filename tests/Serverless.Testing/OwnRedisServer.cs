namespace Serverless.Testing;

/// <summary>
/// A redis-server that only one test talks to, so the test can kill, freeze and restart it under a running app without
/// disturbing the run's shared Redis. It keeps its port across restarts, so the app's connection string stays valid.
/// With persistence every write is fsynced to an append-only file in its own temp directory and a restart brings the
/// data back (a crash and restart of a persistent Redis); without, as the deployed cache runs by default, a restart
/// starts empty. The server's script cache starts empty either way.
/// </summary>
public sealed class OwnRedisServer : IAsyncDisposable
{
    // Generous for a busy 2-core machine: redis-server normally listens within a few milliseconds.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string _executable;
    private readonly bool _persistence;
    private readonly IReadOnlyList<string> _extraArguments;
    private readonly string _directory = Directory.CreateTempSubdirectory("own-redis-").FullName;
    private ChildProcess? _process;

    private OwnRedisServer(string executable, int port, bool persistence, IReadOnlyList<string> extraArguments)
    {
        _executable = executable;
        Port = port;
        _persistence = persistence;
        _extraArguments = extraArguments;
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    /// <summary>
    /// Starts a server on a free loopback port; <paramref name="extraArguments"/> go after the base arguments (redis-server
    /// lets a later directive override an earlier one) and are kept for every restart.
    /// </summary>
    public static async Task<OwnRedisServer> StartAsync(bool persistence = false, IEnumerable<string>? extraArguments = null)
    {
        var executable = Executables.Which("redis-server") ?? throw new InvalidOperationException(
            "This test starts and stops a redis-server of its own, and none is on PATH: install it with 'apt-get install -y redis-server'.");
        var server = new OwnRedisServer(executable, ListeningSockets.FreePort(), persistence, [.. extraArguments ?? []]);
        try
        {
            await server.LaunchAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    // The arguments of every redis-server the tests start, here and in RedisServer and LocalRedisCluster: loopback only,
    // in the foreground, quiet, no RDB snapshots, and an fsynced append-only file only when asked for. Written once so a
    // test-owned server differs from the shared one only in what its test asks for.
    internal static List<string> BaseArguments(int port, string? directory = null, bool appendOnly = false)
    {
        List<string> arguments = ["--port", $"{port}", "--bind", "127.0.0.1", "--protected-mode", "no", "--save", ""];
        arguments.AddRange(appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]);
        arguments.AddRange(["--daemonize", "no", "--loglevel", "warning"]);
        if (directory is not null)
        {
            arguments.AddRange(["--dir", directory]);
        }

        return arguments;
    }

    /// <summary>Kills the server if it runs and starts it again on the same port and data directory.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await LaunchAsync();
    }

    /// <summary>Kills the server (SIGKILL, as a crash): its connections are reset and the port refuses new ones.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    /// <summary>Suspends the server (SIGSTOP): connections stay open but nothing is answered, like a network black hole.</summary>
    public Task FreezeAsync() => SignalAsync("STOP");

    /// <summary>Resumes a frozen server (SIGCONT).</summary>
    public Task ThawAsync() => SignalAsync("CONT");

    public async ValueTask DisposeAsync()
    {
        // SIGKILL also ends a suspended process.
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless; failing the test over it is not.
        }
    }

    private async Task LaunchAsync()
    {
        var process = ChildProcess.Start(_executable, [.. BaseArguments(Port, _directory, _persistence), .. _extraArguments], _directory);
        try
        {
            await process.WaitUntilListeningAsync(Port, "redis-server", StartTimeout);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        _process = process;
    }

    private Task SignalAsync(string signal) =>
        (_process ?? throw new InvalidOperationException("redis-server is not running.")).SignalAsync(signal);
}
