using System.Reflection;

namespace Serverless.Tests.Infrastructure;

/// <summary>Paths the build stamps into the test assembly.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = Metadata("RepositoryRoot");

    public static string BicepPackage { get; } = Metadata("BicepPackagePath");

    public static string FunctionsOutput { get; } = Metadata("FunctionsOutputDirectory");

    private static string Metadata(string key) =>
        typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing; build with tests/Serverless.Tests.csproj.");
}
