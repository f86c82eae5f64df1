using System.Net;
using System.Text.RegularExpressions;
using Serverless.Testing;

namespace Serverless.EndToEnd.Host;

/// <summary>
/// The real Azure Functions host running the app's build output: <c>func start</c> when Core Tools are on PATH,
/// else the host folder named by <c>FUNCTIONS_HOST_DIR</c>. It listens on a free loopback port with a known master key.
/// </summary>
public sealed partial class FunctionsHost : IAsyncDisposable
{
    /// <summary>The master key written into the host's file-based secrets; it opens every function-level route.</summary>
    public const string MasterKey = "e2e-master-key-for-tests-only-000000000000000";

    private readonly ChildProcess _process;
    private readonly string _stateDirectory;

    private FunctionsHost(ChildProcess process, Uri baseAddress, string stateDirectory, string how)
    {
        _process = process;
        BaseAddress = baseAddress;
        _stateDirectory = stateDirectory;
        How = how;
    }

    public Uri BaseAddress { get; }

    /// <summary>Which host runs the app, for failure messages.</summary>
    public string How { get; }

    public int ProcessId => _process.Id;

    /// <summary>Everything the host (and through it the worker) wrote to its console so far.</summary>
    public string Log => _process.Output;

    /// <summary>The host's own lines about functions it disabled at indexing (a binding that did not resolve, ...).</summary>
    public IReadOnlyList<string> IndexingErrors =>
        Log.Split('\n').Where(l => IndexingError().IsMatch(l)).Select(l => l.Trim()).Distinct().ToList();

    /// <summary>Starts the host with <paramref name="appSettings"/> as environment variables, the way Azure passes app settings.</summary>
    public static FunctionsHost Start(string appDirectory, IReadOnlyDictionary<string, string?> appSettings)
    {
        if (!File.Exists(Path.Combine(appDirectory, "functions.metadata")))
        {
            throw new InvalidOperationException($"No functions.metadata in {appDirectory}: build functions/Serverless.Functions.csproj first (dotnet build Serverless.sln).");
        }

        var port = ListeningSockets.FreePort();
        var state = Directory.CreateTempSubdirectory("serverless-e2e-host-").FullName;
        var secrets = Directory.CreateDirectory(Path.Combine(state, "secrets")).FullName;
        File.WriteAllText(Path.Combine(secrets, "host.json"), $$"""
            { "masterKey": { "name": "master", "value": "{{MasterKey}}", "encrypted": false }, "functionKeys": [], "systemKeys": [],
              "hostName": "127.0.0.1:{{port}}", "instanceId": "{{Guid.NewGuid():N}}", "source": "runtime", "decryptionKeyId": "" }
            """);

        // What `func start` sets for the host (see ../shared/functions-host/README.md), then the app's own settings.
        var environment = new Dictionary<string, string?>(appSettings)
        {
            ["AzureWebJobsScriptRoot"] = appDirectory,
            ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated",
            ["languageWorkers__dotnet-isolated__workerDirectory"] = appDirectory,
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["WEBSITE_HOSTNAME"] = $"127.0.0.1:{port}",
            ["AzureWebJobsSecretStorageType"] = "files",
            ["FUNCTIONS_SECRETS_PATH"] = secrets,
            ["FUNCTIONS_LOG_PATH"] = Directory.CreateDirectory(Path.Combine(state, "logs")).FullName,
            ["DOTNET_NOLOGO"] = "1",
            // Set on this kind of machine; with them the host behaves as a Linux Consumption container.
            ["CONTAINER_NAME"] = null,
            ["WEBSITE_INSTANCE_ID"] = null,
        };

        var (fileName, arguments, how) = Locate(appDirectory, port);
        var process = ChildProcess.Start(fileName, arguments, appDirectory, environment);
        return new FunctionsHost(process, new Uri($"http://127.0.0.1:{port}/"), state, how);
    }

    /// <summary>Waits until the app answers <c>GET /api/health</c> with 200, failing with the host's log if it exits first.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The Functions host ({How}) exited before it was ready:\n{Tail(Log)}");
            }

            try
            {
                using var response = await client.GetAsync("api/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The Functions host ({How}) did not answer /api/health with 200 within {timeout.TotalSeconds:F0} s (last: {last}):\n{Tail(Log)}");
    }

    public static string Tail(string log, int lines = 80) => string.Join('\n', log.Split('\n').TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        // Killing the tree takes the worker with the host; a graceful stop can take well over 10 s here.
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_stateDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying process: the temp folder is cleaned up by the OS later.
        }
    }

    private static (string FileName, string[] Arguments, string How) Locate(string appDirectory, int port)
    {
        if (Executables.Which("func") is { } func)
        {
            // --enableAuth: Core Tools skip key checks by default; production does not.
            return (func, ["start", "--port", $"{port}", "--script-root", appDirectory, "--enableAuth"], $"Core Tools at {func}");
        }

        var folder = Environment.GetEnvironmentVariable("FUNCTIONS_HOST_DIR");
        if (!string.IsNullOrWhiteSpace(folder))
        {
            var dll = Path.Combine(Path.GetFullPath(folder), "Microsoft.Azure.WebJobs.Script.WebHost.dll");
            if (!File.Exists(dll))
            {
                throw new InvalidOperationException($"FUNCTIONS_HOST_DIR is {folder}, but {dll} does not exist. Point it at a built Functions host folder.");
            }

            return ("dotnet", [dll], $"host from FUNCTIONS_HOST_DIR={folder}");
        }

        throw new InvalidOperationException(
            "No Azure Functions host: install Azure Functions Core Tools v4 so that `func` is on PATH " +
            "(npm i -g azure-functions-core-tools@4 --unsafe-perm true, or see https://learn.microsoft.com/azure/azure-functions/functions-run-local), " +
            "or set FUNCTIONS_HOST_DIR to a built host folder (./dev.sh test and .ci/run use ../shared/functions-host when it exists).");
    }

    [GeneratedRegex(@"Error indexing method|function is in error|does not resolve to a value", RegexOptions.IgnoreCase)]
    private static partial Regex IndexingError();
}
