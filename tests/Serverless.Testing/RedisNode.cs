namespace Serverless.Testing;

/// <summary>One redis-server process the fixture owns, with the data directory it alone uses (deleted with it).</summary>
public sealed class RedisNode(int port, ChildProcess process, string? dataDirectory = null) : IAsyncDisposable
{
    public int Port { get; } = port;

    public ChildProcess Process { get; } = process;

    public string? DataDirectory { get; } = dataDirectory;

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        if (DataDirectory is not null)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder left behind is harmless; failing the run over it is not.
            }
        }
    }
}
