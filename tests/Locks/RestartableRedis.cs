using Serverless.Testing;

namespace Serverless.Tests.Locks;

/// <summary>
/// A redis-server of one test alone, without persistence (as the deployed cache runs by default), that can be
/// restarted on the same port: the app's connection string stays valid and everything Redis held is gone.
/// </summary>
internal sealed class RestartableRedis : IAsyncDisposable
{
    private ChildProcess _process;

    private RestartableRedis(int port, ChildProcess process)
    {
        Port = port;
        _process = process;
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    public static async Task<RestartableRedis> StartAsync()
    {
        var port = ListeningSockets.FreePort();
        return new RestartableRedis(port, await LaunchAsync(port));
    }

    /// <summary>Kills the server and starts a fresh, empty one on the same port.</summary>
    public async Task RestartAsync()
    {
        await _process.DisposeAsync();
        _process = await LaunchAsync(Port);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static async Task<ChildProcess> LaunchAsync(int port)
    {
        var redis = Executables.Which("redis-server") ?? throw new InvalidOperationException(
            "This test restarts a redis-server of its own: install one with 'apt-get install -y redis-server'.");
        var process = ChildProcess.Start(redis, ["--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning"]);
        try
        {
            await process.WaitUntilListeningAsync(port, "redis-server", TimeSpan.FromSeconds(30));
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }
}
