namespace Serverless.Testing;

/// <summary>Finds programs on PATH, so a missing one fails with an install hint instead of a process-start error.</summary>
public static class Executables
{
    public static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, name))
        .FirstOrDefault(File.Exists);
}
