using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Core.Dispatch;
using Serverless.Functions.Http;

namespace Serverless.Functions.Dispatch;

/// <summary>
/// Forwards any method on <c>dispatch/{pool}/{*path}</c> to a target of the pool and relays the answer with
/// <c>X-Dispatch-Target</c>. Function key: an anonymous route into internal backends would be an open proxy.
/// The host tries overlapping routes in function-name order (azure-functions-host issues 9876, 3153), and this name
/// sorts before GetDispatchPool and PutDispatchPool: the constraint keeps <c>dispatch/pools/...</c> out of this route.
/// </summary>
public sealed class DispatchForwardFunction(DispatchForwarder forwarder, IOptions<DispatchOptions> options)
{
    [Function("DispatchForward")]
    public async Task<IActionResult> Forward(
        [HttpTrigger(AuthorizationLevel.Function, "get", "post", "put", "patch", "delete", "head", "options", Route = "dispatch/{pool:regex(^(?!pools$))}/{*path}")] HttpRequest request,
        string pool,
        string? path,
        CancellationToken cancellationToken)
    {
        if (!PoolName.IsValid(pool))
        {
            return Problem.BadRequest(PoolName.Rule);
        }

        var (body, tooLarge) = await RequestBodies.ReadBytesAsync(request, options.Value.MaxRequestBytes, cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        var pathAndQuery = "/" + (path ?? "").TrimStart('/') + ForwardHeaders.WithoutFunctionKey(request.QueryString.Value ?? "");
        // The raw path too: routing decodes the route value, and an encoded slash or dot segment must not reach it.
        if ((ForwardPath.Problem(pathAndQuery) ?? ForwardPath.Problem(request.Path.Value ?? "")) is { } badPath)
        {
            return Problem.BadRequest(badPath);
        }

        var headers = request.Headers.SelectMany(h => h.Value.Select(v => KeyValuePair.Create(h.Key, v ?? ""))).ToList();
        var origin = new ForwardOrigin(request.HttpContext.Connection.RemoteIpAddress?.ToString(), request.Scheme, request.Host.Value ?? "");
        var result = await forwarder.ForwardAsync(new ForwardRequest(pool, request.Method, pathAndQuery, headers, body, origin), cancellationToken);
        return DispatchHttp.ForwardResult(request, pool, result);
    }
}
