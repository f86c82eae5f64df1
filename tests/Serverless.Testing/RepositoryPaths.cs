using System.Reflection;

namespace Serverless.Testing;

/// <summary>Paths the build stamps into this library (see Serverless.Testing.csproj).</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = Metadata("RepositoryRoot");

    /// <summary>The functions project's build output of the same configuration: functions.metadata and the worker.</summary>
    public static string FunctionsOutput { get; } = Metadata("FunctionsOutputDirectory");

    private static string Metadata(string key) =>
        typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing; build tests/Serverless.Testing/Serverless.Testing.csproj.");
}
