namespace Serverless.Bench.Services;

internal static class RepositoryRootLocator
{
    public static string Root => Serverless.Tests.Infrastructure.RepositoryPaths.Root;
}
