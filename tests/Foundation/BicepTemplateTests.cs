using Serverless.Testing;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Serverless.Tests.Foundation;

/// <summary>
/// Compiles and lints the Bicep templates with the Bicep CLI restored from NuGet, so broken or
/// sloppy infrastructure code fails the build instead of the next deployment.
/// </summary>
public sealed class BicepTemplateTests
{
    private static readonly TimeSpan BicepTimeout = TimeSpan.FromSeconds(100);

    private static readonly string[] ExpectedResourceTypes =
    [
        "Microsoft.Web/sites",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.ServiceBus/namespaces",
        "Microsoft.Insights/components",
    ];

    [Fact(Timeout = 120_000)]
    public async Task MainTemplateBuildsWithoutDiagnostics()
    {
        var result = await RunBicepAsync("build", MainTemplate, "--stdout");

        AssertSucceededWithoutDiagnostics(result, "build");

        using var template = JsonDocument.Parse(result.StandardOutput);
        var resources = AllResources(template.RootElement).ToList();
        var types = resources.Select(TypeOf).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.All(ExpectedResourceTypes, type => Assert.Contains(type, types));

        var storageAccounts = resources.Where(r => string.Equals(TypeOf(r), "Microsoft.Storage/storageAccounts", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.NotEmpty(storageAccounts);
        Assert.All(storageAccounts, account =>
        {
            Assert.True(account.TryGetProperty("properties", out var properties), "The storage account has no properties.");
            Assert.True(properties.TryGetProperty("allowSharedKeyAccess", out var sharedKey), "The storage account does not set allowSharedKeyAccess.");
            Assert.Equal(JsonValueKind.False, sharedKey.ValueKind);
        });
    }

    [Fact(Timeout = 120_000)]
    public async Task RedisTakesNoAccessKeyAndKeepsItsDataOnDisk()
    {
        var result = await RunBicepAsync("build", MainTemplate, "--stdout");
        AssertSucceededWithoutDiagnostics(result, "build");

        // No key is read anywhere, so none can reach an app setting or the deployment history.
        Assert.DoesNotContain("listKeys", result.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("password=", result.StandardOutput, StringComparison.OrdinalIgnoreCase);

        using var template = JsonDocument.Parse(result.StandardOutput);
        var resources = AllResources(template.RootElement).ToList();
        var database = Assert.Single(resources, r => IsType(r, "Microsoft.Cache/redisEnterprise/databases"));
        var properties = database.GetProperty("properties");
        Assert.Equal("Disabled", properties.GetProperty("accessKeysAuthentication").GetString());
        var persistence = properties.GetProperty("persistence");
        Assert.True(
            IsTrue(persistence, "aofEnabled") || IsTrue(persistence, "rdbEnabled"),
            $"The Redis database keeps no data on disk: {persistence}");

        var access = Assert.Single(resources, r => IsType(r, "Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments"));
        Assert.Equal("default", access.GetProperty("properties").GetProperty("accessPolicyName").GetString());

        var settings = Assert.Single(resources, r => IsType(r, "Microsoft.Web/sites/config")).GetProperty("properties");
        Assert.True(settings.TryGetProperty("Redis__ClientId", out _), "The app settings do not name the identity's client id for Redis.");
        Assert.True(settings.TryGetProperty("Redis__PrincipalId", out _), "The app settings do not name the identity's object id (the Redis user).");
    }

    [Fact(Timeout = 120_000)]
    public async Task MainTemplateLintsClean()
    {
        var result = await RunBicepAsync("lint", MainTemplate);

        // Lint exits 0 on warnings, so the output itself must be empty too.
        Assert.True(result.ExitCode == 0, $"bicep lint failed ({result.ExitCode}):\n{result.StandardError}");
        Assert.True(string.IsNullOrWhiteSpace(result.StandardError), $"bicep lint reported:\n{result.StandardError}");
        Assert.True(string.IsNullOrWhiteSpace(result.StandardOutput), $"bicep lint reported:\n{result.StandardOutput}");
    }

    [Fact(Timeout = 120_000)]
    public async Task ParametersFileBuilds()
    {
        var result = await RunBicepAsync("build-params", Path.Combine(BicepDirectory, "main.bicepparam"), "--stdout");

        AssertSucceededWithoutDiagnostics(result, "build-params");
    }

    private static string BicepDirectory => Path.Combine(RepositoryPaths.Root, "infra", "bicep");

    private static string MainTemplate => Path.Combine(BicepDirectory, "main.bicep");

    private static string Metadata(string key) =>
        typeof(BicepTemplateTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => string.Equals(a.Key, key, StringComparison.Ordinal))?.Value ?? string.Empty;

    private static string BicepExecutable()
    {
        var package = Metadata("BicepPackagePath");
        var executable = string.IsNullOrEmpty(package) ? string.Empty : Path.Combine(package, "tools", OperatingSystem.IsWindows() ? "bicep.exe" : "bicep");
        if (!File.Exists(executable))
        {
            Assert.Fail($"The Bicep CLI was not found at '{executable}'. Run `dotnet restore tests/Serverless.Tests.csproj` to fetch the Azure.Bicep.CommandLine package.");
        }

        // NuGet does not always keep the execute bit when it extracts a package.
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(executable);
            if (!mode.HasFlag(UnixFileMode.UserExecute))
            {
                File.SetUnixFileMode(executable, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }

        return executable;
    }

    private static Task<ProcessResult> RunBicepAsync(params string[] arguments) =>
        RunAsync(BicepExecutable(), arguments, BicepTimeout, TestContext.Current.CancellationToken);

    /// <summary>
    /// Bicep exits 0 on warnings (for example an unknown resource property), so the diagnostic lines
    /// it writes to stderr, like <c>main.bicep(3,7) : Warning BCP037: ...</c>, are checked as well.
    /// </summary>
    private static void AssertSucceededWithoutDiagnostics(ProcessResult result, string command)
    {
        Assert.True(result.ExitCode == 0, $"bicep {command} failed ({result.ExitCode}):\n{result.StandardError}");
        var diagnostics = result.StandardError
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.Contains("Warning", StringComparison.OrdinalIgnoreCase) || line.Contains("Error", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.True(diagnostics.Count == 0, $"bicep {command} reported:\n{string.Join('\n', diagnostics)}");
    }

    /// <summary>Every resource in the template, including those inside nested deployments (Bicep modules).</summary>
    private static IEnumerable<JsonElement> AllResources(JsonElement template)
    {
        if (!template.TryGetProperty("resources", out var resources))
        {
            yield break;
        }

        // Classic templates list resources in an array; languageVersion 2.0 keys them by symbolic name.
        var items = resources.ValueKind switch
        {
            JsonValueKind.Array => resources.EnumerateArray().ToList(),
            JsonValueKind.Object => resources.EnumerateObject().Select(p => p.Value).ToList(),
            _ => [],
        };

        foreach (var resource in items)
        {
            yield return resource;

            if (resource.TryGetProperty("properties", out var properties)
                && properties.ValueKind == JsonValueKind.Object
                && properties.TryGetProperty("template", out var nested))
            {
                foreach (var inner in AllResources(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    private static bool IsType(JsonElement resource, string type) =>
        string.Equals(TypeOf(resource), type, StringComparison.OrdinalIgnoreCase);

    private static bool IsTrue(JsonElement properties, string name) =>
        properties.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    private static string TypeOf(JsonElement resource) =>
        resource.TryGetProperty("type", out var type) ? type.GetString() ?? string.Empty : string.Empty;

    private static async Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start '{fileName}'.");
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);

        // Read both streams while waiting, or a full pipe buffer would block the child forever.
        var standardOutput = process.StandardOutput.ReadToEndAsync(timeoutSource.Token);
        var standardError = process.StandardError.ReadToEndAsync(timeoutSource.Token);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
            return new ProcessResult(process.ExitCode, await standardOutput, await standardError);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new TimeoutException($"'{Path.GetFileName(fileName)} {string.Join(' ', arguments)}' did not finish within {timeout.TotalSeconds:0} seconds.");
        }
    }

    private sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError);
}
