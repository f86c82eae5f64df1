namespace Serverless.Testing;

/// <summary>
/// The test run's Azure Storage: <c>STORAGE_CONNECTION</c> when set, else Azurite from the repo's pinned npm package,
/// in memory, on free loopback ports.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    // Azurite's well-known development account; not a secret.
    private const string DevAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private AzuriteServer(string connectionString, ChildProcess? process, int blobPort, int queuePort, int tablePort)
    {
        ConnectionString = connectionString;
        Process = process;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
    }

    public string ConnectionString { get; }

    /// <summary>The Azurite process this fixture owns; null when <c>STORAGE_CONNECTION</c> points elsewhere.</summary>
    public ChildProcess? Process { get; }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    public static async Task<AzuriteServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable("STORAGE_CONNECTION");
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new AzuriteServer(external, null, 0, 0, 0);
        }

        var azurite = Executable();
        var (blob, queue, table) = (ListeningSockets.FreePort(), ListeningSockets.FreePort(), ListeningSockets.FreePort());
        var process = ChildProcess.Start(azurite, [.. Arguments(blob, queue, table), "--inMemoryPersistence"], RepositoryPaths.Root);
        try
        {
            foreach (var port in new[] { blob, queue, table })
            {
                await process.WaitUntilListeningAsync(port, "Azurite", TimeSpan.FromSeconds(60));
            }
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return new AzuriteServer(ConnectionStringFor(blob, queue, table), process, blob, queue, table);
    }

    /// <summary>The repo's pinned Azurite, or an error that says how to install it.</summary>
    internal static string Executable()
    {
        var azurite = Path.Combine(RepositoryPaths.Root, "node_modules", ".bin", "azurite");
        return File.Exists(azurite) ? azurite : throw new InvalidOperationException(
            $"Azurite is not installed at {azurite}: run 'npm ci' in the repo root (Node.js 20+ needed; './dev.sh test' does this), " +
            "or set STORAGE_CONNECTION to a running storage emulator.");
    }

    // The arguments of every Azurite the tests start, here and in OwnAzuriteServer: loopback only, quiet, lenient, on
    // the given ports; the caller adds where the data lives.
    internal static List<string> Arguments(int blob, int queue, int table) =>
    [
        "--silent", "--skipApiVersionCheck", "--disableTelemetry", "--loose",
        "--blobHost", "127.0.0.1", "--blobPort", $"{blob}",
        "--queueHost", "127.0.0.1", "--queuePort", $"{queue}",
        "--tableHost", "127.0.0.1", "--tablePort", $"{table}",
    ];

    internal static string ConnectionStringFor(int blob, int queue, int table) =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        $"AccountKey={DevAccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync();
        }
    }
}
