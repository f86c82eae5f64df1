using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Serverless.Core.Dispatch;

namespace Serverless.Functions.Dispatch;

/// <summary>Writes a backend's status, headers and body as our response.</summary>
internal sealed class RelayedResponse(ForwardResult result) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = result.StatusCode;
        foreach (var group in (result.Headers ?? []).GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            response.Headers[group.Key] = group.Select(h => h.Value).ToArray();
        }

        if (DispatchHttp.TargetHeader(result) is { } target)
        {
            response.Headers[ForwardHeaders.TargetHeader] = target;
        }

        if (!result.Body.IsEmpty && !HttpMethods.IsHead(context.HttpContext.Request.Method))
        {
            response.ContentLength = result.Body.Length;
            await response.Body.WriteAsync(result.Body, context.HttpContext.RequestAborted);
        }
    }
}
