using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Core.Sessions;

namespace Serverless.Functions.Sessions;

/// <summary>
/// Session CRUD. Holding a session id is what authorizes using it, so these are anonymous (except create). The
/// documented route is <c>sessions/current</c> with the id in the cookie or <c>Authorization: Session &lt;id&gt;</c>:
/// request telemetry records URL paths, so an id in the path ends up in logs. Nothing here logs, and nothing may log an id.
/// </summary>
public sealed class SessionFunctions(RedisSessionStore store, SessionRules rules, IOptions<SessionOptions> options)
{
    private int MaxBody => options.Value.MaxAttributes * (options.Value.MaxValueBytes + 256);

    // Function key: binding a session to a principal is what a trusted login backend does.
    [Function("CreateSession")]
    public async Task<IActionResult> Create(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "sessions")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, problem) = await SessionRequests.ReadObjectAsync(request, MaxBody, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!SessionRequests.TryParseCreate(body!.Value, out var principal, out var attributes))
        {
            return Http.Problem.BadRequest("Expected {\"principal\": string?, \"attributes\": object?}.");
        }

        if ((rules.Check(attributes) ?? SessionRules.CheckPrincipal(principal)) is { } refused)
        {
            return SessionHttp.Refused(refused);
        }

        var result = await store.CreateAsync(principal, attributes);
        if (result.Session is not { } session)
        {
            return SessionHttp.Failure(result.Status);
        }

        SessionHttp.SetCookie(request, session, options.Value);
        request.HttpContext.Response.Headers.Location = "/api/sessions/current";
        return SessionHttp.Ok(request, session, includeId: true, StatusCodes.Status201Created);
    }

    [Function("GetSession")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "sessions/{id}")] HttpRequest request, string id)
    {
        var sessionId = SessionRequests.IdFrom(request, id, options.Value);
        if (SessionRequests.MalformedId(sessionId) is { } malformed)
        {
            return malformed;
        }

        string? attribute = request.Query["attribute"];
        var result = attribute is null ? await store.GetAsync(sessionId!) : await store.GetAttributeAsync(sessionId!, attribute);
        return result.Session is { } session ? SessionHttp.Ok(request, session, includeId: false) : SessionHttp.Failure(result.Status);
    }

    [Function("UpdateSession")]
    public async Task<IActionResult> Update(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "sessions/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var sessionId = SessionRequests.IdFrom(request, id, options.Value);
        if (SessionRequests.MalformedId(sessionId) is { } malformed)
        {
            return malformed;
        }

        if (!SessionRequests.TryExpectedVersion(request, out var expected))
        {
            return Http.Problem.BadRequest("If-Match must be a session version such as \"3\" (or *).");
        }

        var (body, problem) = await SessionRequests.ReadObjectAsync(request, MaxBody, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var changes = SessionRequests.Properties(body!.Value);
        if (rules.Check(changes) is { } refused)
        {
            return SessionHttp.Refused(refused);
        }

        var result = await store.UpdateAsync(sessionId!, changes, expected);
        return result.Session is { } session ? SessionHttp.Ok(request, session, includeId: false) : SessionHttp.Failure(result.Status);
    }

    [Function("DeleteSession")]
    public async Task<IActionResult> Delete(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "sessions/{id}")] HttpRequest request, string id)
    {
        var sessionId = SessionRequests.IdFrom(request, id, options.Value);
        return SessionRequests.MalformedId(sessionId)
            ?? (await store.DeleteAsync(sessionId!) ? new NoContentResult() : SessionHttp.Failure(SessionStatus.NotFound));
    }
}
