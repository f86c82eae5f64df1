using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Core.Sessions;

namespace Serverless.Functions.Sessions;

/// <summary>Id rotation (after login or privilege change) and revoking every session of a principal.</summary>
public sealed class SessionLifecycleFunctions(RedisSessionStore store, IOptions<SessionOptions> options)
{
    [Function("RotateSession")]
    public async Task<IActionResult> Rotate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "sessions/{id}/rotate")] HttpRequest request, string id)
    {
        var sessionId = SessionRequests.IdFrom(request, id, options.Value);
        if (SessionRequests.MalformedId(sessionId) is { } malformed)
        {
            return malformed;
        }

        var result = await store.RotateAsync(sessionId!);
        if (result.Session is not { } session)
        {
            return SessionHttp.Failure(result.Status);
        }

        SessionHttp.SetCookie(request, session, options.Value);
        return SessionHttp.Ok(request, session, includeId: true);
    }

    // Function key: revoking someone's sessions is an administrative act (logout everywhere, password change).
    [Function("RevokePrincipalSessions")]
    public async Task<IActionResult> RevokeAll(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "principals/{principal}/sessions")] HttpRequest request, string principal)
    {
        if (!Http.RequestText.IsValidUnicode(principal))
        {
            return Http.Problem.BadRequest("The principal is not valid Unicode text.");
        }

        if (SessionRules.CheckPrincipal(principal) is { } refused)
        {
            return SessionHttp.Refused(refused);
        }

        return new JsonResult(new { principal, revoked = await store.RevokeAllAsync(principal) });
    }
}
