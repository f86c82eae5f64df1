using System.Diagnostics;
using Serverless.Testing;

namespace Serverless.Tests.Outages;

/// <summary>
/// A redis-server that only one test talks to, so the test can kill, freeze and restart it under a running app.
/// Every write is fsynced to an append-only file, so a restart brings the data back (a crash and a restart of a
/// persistent Redis, not a new empty one); the server's own script cache still starts empty.
/// </summary>
internal sealed class OwnRedis : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("outage-redis-").FullName;
    private ChildProcess? _process;

    private OwnRedis(int port) => Port = port;

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<OwnRedis> StartAsync()
    {
        var redis = new OwnRedis(ListeningSockets.FreePort());
        await redis.RestartAsync();
        return redis;
    }

    /// <summary>Starts the server again on the same port and data directory.</summary>
    public async Task RestartAsync()
    {
        var executable = Executables.Which("redis-server") ?? throw new InvalidOperationException(
            "The outage tests start and stop their own redis-server: install it with 'apt-get install -y redis-server'.");
        _process = ChildProcess.Start(executable, ["--port", $"{Port}", "--bind", "127.0.0.1", "--protected-mode", "no", "--save", "",
            "--appendonly", "yes", "--appendfsync", "always", "--dir", _directory, "--daemonize", "no", "--loglevel", "warning"]);
        await _process.WaitUntilListeningAsync(Port, "redis-server", TimeSpan.FromSeconds(30));
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

    public Task ThawAsync() => SignalAsync("CONT");

    public async ValueTask DisposeAsync()
    {
        // SIGKILL also ends a suspended process.
        await StopAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task SignalAsync(string signal)
    {
        var pid = _process?.Id ?? throw new InvalidOperationException("redis-server is not running.");
        using var kill = Process.Start("kill", [$"-{signal}", $"{pid}"]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} exited with {kill.ExitCode}.");
        }
    }
}
