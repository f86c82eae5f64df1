using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Functions.Http;
using Serverless.Testing;

namespace Serverless.Tests.Outages;

/// <summary>
/// Runs an HTTP function as the worker does in this app: <see cref="DependencyOutageMiddleware"/> around the call, then
/// the returned result executed like the ASP.NET Core integration executes it.
/// </summary>
internal static class WorkerPipeline
{
    public static async Task<ActionResults.Response> RunAsync(HttpRequest request, Func<Task<IActionResult>> function, DependencyOutageMiddleware? middleware = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = request.HttpContext.Response;
        var body = new MemoryStream();
        response.Body = body;
        IActionResult? result = null;
        await (middleware ?? new DependencyOutageMiddleware(NullLogger<DependencyOutageMiddleware>.Instance))
            .Invoke(new FakeFunctionContext(request.HttpContext), async _ => result = await function());
        return result is not null
            ? await ActionResults.ExecuteAsync(result, request)
            : new ActionResults.Response(response.StatusCode, response.ContentType, Encoding.UTF8.GetString(body.ToArray()), response.Headers);
    }
}
