using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Serverless.Core.Sessions;
using Serverless.Functions.Http;

namespace Serverless.Functions.Sessions;

/// <summary>Session responses: cookies, bodies with ETags, and problem status codes.</summary>
internal static class SessionHttp
{
    public static void SetCookie(HttpRequest request, Session session, SessionOptions options)
    {
        request.HttpContext.Response.Cookies.Append(options.CookieName, session.Id, new CookieOptions
        {
            HttpOnly = true,
            Secure = true,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            Expires = session.AbsoluteExpiresAt,
        });
    }

    public static IActionResult Ok(HttpRequest request, Session session, bool includeId, int status = StatusCodes.Status200OK)
    {
        request.HttpContext.Response.Headers.ETag = $"\"{session.Version}\"";
        var view = new SessionView(includeId ? session.Id : null, session.Principal, session.CreatedAt, session.LastAccessAt,
            session.ExpiresAt, session.AbsoluteExpiresAt, session.Version, session.Attributes);
        return new JsonResult(view) { StatusCode = status };
    }

    public static IActionResult Failure(SessionStatus status) => status switch
    {
        SessionStatus.NotFound => Problem.NotFound("No such session, or it has expired."),
        SessionStatus.VersionMismatch => Problem.Of(StatusCodes.Status412PreconditionFailed, "Precondition failed", "The session changed since the version in If-Match."),
        SessionStatus.TooManyAttributes => Problem.Of(StatusCodes.Status413PayloadTooLarge, "Too many attributes", "The change would exceed the attribute limit."),
        SessionStatus.PrincipalLimitReached => Problem.Conflict("The principal already holds the maximum number of sessions."),
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static IActionResult Refused(SessionProblem problem) => problem.Kind switch
    {
        SessionProblemKind.Invalid => Problem.BadRequest(problem.Detail),
        _ => Problem.Of(StatusCodes.Status413PayloadTooLarge, "Payload too large", problem.Detail),
    };

    private sealed record SessionView(
        string? Id,
        string? Principal,
        DateTimeOffset CreatedAt,
        DateTimeOffset LastAccessAt,
        DateTimeOffset ExpiresAt,
        DateTimeOffset AbsoluteExpiresAt,
        long Version,
        IReadOnlyDictionary<string, JsonElement> Attributes);
}
