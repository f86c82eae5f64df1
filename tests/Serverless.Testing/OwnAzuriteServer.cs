namespace Serverless.Testing;

/// <summary>
/// An Azurite that only one test talks to, so the test can stop, freeze and restart Azure Storage under a running app
/// without disturbing the run's shared Azurite. It keeps its ports and its data (on disk, in its own temp directory)
/// across restarts: an outage of Azure Storage makes it unreachable, it does not lose tables, queues or blobs.
/// </summary>
public sealed class OwnAzuriteServer : IAsyncDisposable
{
    // Generous for a busy 2-core machine: Azurite listens in about 0.8 s when the machine is quiet.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    // Azurite saves its metadata on SIGTERM (about 2 s measured); past this it is killed and may lose recent writes.
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    private readonly string _directory = Directory.CreateTempSubdirectory("own-azurite-").FullName;
    private ChildProcess? _process;

    private OwnAzuriteServer(int blobPort, int queuePort, int tablePort)
    {
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
    }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    public string ConnectionString => AzuriteServer.ConnectionStringFor(BlobPort, QueuePort, TablePort);

    /// <summary>Starts an Azurite on three free loopback ports, always a process of its own (whatever <c>STORAGE_CONNECTION</c> says).</summary>
    public static async Task<OwnAzuriteServer> StartAsync()
    {
        var server = new OwnAzuriteServer(ListeningSockets.FreePort(), ListeningSockets.FreePort(), ListeningSockets.FreePort());
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

    /// <summary>
    /// Stops Azurite (SIGTERM, then SIGKILL if it has not exited in time): its connections close and its ports refuse
    /// new ones, as an unreachable storage endpoint does. Returns once the process has exited.
    /// </summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            await SignalAsync("TERM");
            try
            {
                await _process.WaitForExitAsync("Azurite", StopTimeout);
            }
            catch (TimeoutException)
            {
                // WaitForExitAsync has killed it: the outage is what the test wants, a lost last write is tolerable.
            }
        }

        await _process.DisposeAsync();
        _process = null;
    }

    /// <summary>Starts Azurite again on the same ports and data directory.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await LaunchAsync();
    }

    /// <summary>Suspends Azurite (SIGSTOP): connections are accepted but nothing is answered, like a network black hole.</summary>
    public Task FreezeAsync() => SignalAsync("STOP");

    /// <summary>Resumes a frozen Azurite (SIGCONT).</summary>
    public Task ThawAsync() => SignalAsync("CONT");

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            // SIGKILL also ends a suspended process.
            await _process.DisposeAsync();
            _process = null;
        }

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
        var process = ChildProcess.Start(
            AzuriteServer.Executable(), [.. AzuriteServer.Arguments(BlobPort, QueuePort, TablePort), "--location", _directory], RepositoryPaths.Root);
        try
        {
            foreach (var port in new[] { BlobPort, QueuePort, TablePort })
            {
                await process.WaitUntilListeningAsync(port, "Azurite", StartTimeout);
            }
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        _process = process;
    }

    private Task SignalAsync(string signal) =>
        (_process ?? throw new InvalidOperationException("Azurite is not running.")).SignalAsync(signal);
}
