using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Operability;

namespace Serverless.Functions.Status;

/// <summary>
/// The operator's status page, at admin level (the master key): pool targets and queue names describe the internal
/// network. Open it as <c>/api/status?code=&lt;master key&gt;</c> so its self-refresh keeps the key.
/// </summary>
public sealed class StatusFunction(StatusReader reader)
{
    [Function("Status")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "status")] HttpRequest request, CancellationToken cancellationToken)
    {
        var page = StatusPage.Render(await reader.ReadAsync(cancellationToken));
        var headers = request.HttpContext.Response.Headers;
        headers.ContentSecurityPolicy = StatusPage.ContentSecurityPolicy;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        return new ContentResult { Content = page, ContentType = "text/html; charset=utf-8", StatusCode = StatusCodes.Status200OK };
    }
}
