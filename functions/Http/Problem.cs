using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Serverless.Functions.Http;

/// <summary>RFC 7807 problem+json responses, the one shape every 4xx of this app takes.</summary>
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

    public static ObjectResult PayloadTooLarge(int maxBytes) =>
        Of(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body is limited to {maxBytes} bytes.");
}
