using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.OpenApi;

/// <summary>
/// A generated file kept in the repository: the test compares it with what the generator produces now, and with
/// <c>UPDATE_DOCS=1</c> in the environment writes it instead (then the diff is reviewed and committed).
/// </summary>
internal static class KeptFile
{
    public const string UpdateVariable = "UPDATE_DOCS";

    /// <summary>Fails with the regen command when <paramref name="relativePath"/> differs from <paramref name="generated"/>.</summary>
    public static void AssertCurrent(string relativePath, string generated, string testClass)
    {
        var path = Path.Combine(RepositoryPaths.Root, relativePath);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, generated);
            TestContext.Current.TestOutputHelper?.WriteLine($"wrote {path}");
            return;
        }

        var kept = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : null;
        var command = $"{UpdateVariable}=1 dotnet test tests/Serverless.Tests.csproj --filter \"FullyQualifiedName~{testClass}\"";
        Assert.True(kept == generated, kept is null
            ? $"{relativePath} is missing. Generate it with: {command}"
            : $"{relativePath} is out of date (first difference at line {FirstDifference(kept, generated)}). Regenerate it with: {command}");
    }

    private static int FirstDifference(string kept, string generated)
    {
        var a = kept.Split('\n');
        var b = generated.Split('\n');
        var line = 0;
        while (line < a.Length && line < b.Length && a[line] == b[line])
        {
            line++;
        }

        return line + 1;
    }
}
