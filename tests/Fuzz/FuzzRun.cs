using Serverless.Testing;

namespace Serverless.Tests.Fuzz;

/// <summary>Runs one case and judges the answer.</summary>
internal static class FuzzRun
{
    /// <summary><paramref name="Kind"/> groups outcomes for the report (a status, or "backend"); <paramref name="Failure"/> says what is wrong.</summary>
    public sealed record Outcome(string Kind, string? Failure);

    public static async Task<Outcome> OnceAsync(FuzzApp app, FuzzDriver driver, FuzzCase fuzz)
    {
        var request = fuzz.ToRequest(driver.Method);
        ActionResults.Response response;
        try
        {
            response = await ActionResults.ExecuteAsync(await driver.Invoke(app, request, fuzz.Route), request);
        }
        catch (BackendReachedException) when (driver.Durable)
        {
            return new Outcome("backend", fuzz.MustReject ? "malformed input was accepted and reached the durable backend" : null);
        }
        catch (Exception ex)
        {
            return new Outcome("exception", $"threw {ex.GetType().Name}: {First(ex.Message)}");
        }

        var kind = response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var failure = response.Status switch
        {
            >= 500 => $"answered {response.Status}: {First(response.Body)}",
            >= 400 when !response.IsProblem => $"answered {response.Status} as {response.ContentType}, not problem+json",
            < 400 when fuzz.MustReject => $"malformed input was accepted with {response.Status}",
            _ => null,
        };
        return new Outcome(kind, failure);
    }

    private static string First(string text) => text.Length > 300 ? text[..300] : text;
}
