using System.Diagnostics;
using Serverless.Testing;

namespace Serverless.Tests.Status;

/// <summary>
/// Debian's Chromium run headless, one process per call (<c>--dump-dom</c>, <c>--screenshot</c>), each with a profile
/// of its own so parallel runs never share one. Playwright's browser download cannot work here; this is the browser
/// users have.
/// </summary>
internal static class HeadlessChromium
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    public static string Path =>
        new[] { "chromium", "chromium-browser", "google-chrome" }.Select(Executables.Which).FirstOrDefault(p => p is not null)
        ?? throw new InvalidOperationException(
            "Headless Chromium is required for the status page test and was not found on PATH. Install it: apt-get install chromium " +
            "(./dev.sh test installs it).");

    /// <summary>The DOM after the page loaded, as Chromium serialises it.</summary>
    public static async Task<string> DumpDomAsync(string url, CancellationToken cancellationToken) =>
        (await RunAsync(["--dump-dom", url], cancellationToken)).Output;

    /// <summary>Writes a PNG of the page at <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static async Task ScreenshotAsync(string url, string file, int width, int height, CancellationToken cancellationToken)
    {
        var run = await RunAsync([$"--screenshot={file}", $"--window-size={width},{height}", "--hide-scrollbars", url], cancellationToken);
        if (!File.Exists(file))
        {
            throw new InvalidOperationException($"Chromium wrote no screenshot (exit {run.ExitCode}): {run.Errors}");
        }
    }

    private static async Task<(string Output, string Errors, int ExitCode)> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var profile = Directory.CreateTempSubdirectory("chromium-");
        try
        {
            var info = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", $"--user-data-dir={profile.FullName}", .. arguments])
            {
                info.ArgumentList.Add(argument);
            }

            using var process = Process.Start(info) ?? throw new InvalidOperationException("Chromium did not start.");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Patience);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"Chromium did not finish within {Patience.TotalSeconds} s: {string.Join(' ', arguments)}");
            }

            return (await output, await errors, process.ExitCode);
        }
        finally
        {
            try
            {
                profile.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A crash-reporter child may still hold a file for a moment; the temp folder is cleaned by the OS.
            }
        }
    }
}
