using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Serverless.Functions.Http;

/// <summary>RFC 7807 problem+json responses, the one shape every 4xx and 503 of this app takes.</summary>
internal static class Problem
{
    public static ObjectResult Of(int status, string title, string? detail = null, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = $"https://httpstatuses.io/{status}",
        };
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
            {
                problem.Extensions[key] = value;
            }
        }

        var result = new ObjectResult(problem) { StatusCode = status };
        result.ContentTypes.Add("application/problem+json");
        return result;
    }

    public static ObjectResult BadRequest(string detail, IDictionary<string, object?>? extensions = null) =>
        Of(StatusCodes.Status400BadRequest, "Bad request", detail, extensions);

    public static ObjectResult NotFound(string detail) => Of(StatusCodes.Status404NotFound, "Not found", detail);

    public static ObjectResult Conflict(string detail) => Of(StatusCodes.Status409Conflict, "Conflict", detail);

    /// <summary>A 503 that tells the client when to try again, in <c>Retry-After</c> and in the body.</summary>
    public static IActionResult ServiceUnavailable(string detail, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        var problem = Of(StatusCodes.Status503ServiceUnavailable, "Service unavailable", detail, new Dictionary<string, object?> { ["retryAfterSeconds"] = seconds });
        return new RetryAfterResult(problem, seconds);
    }

    public static ObjectResult PayloadTooLarge(int maxBytes) =>
        Of(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body is limited to {maxBytes} bytes.");

    private sealed class RetryAfterResult(ObjectResult problem, int seconds) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context)
        {
            context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return problem.ExecuteResultAsync(context);
        }
    }
}
