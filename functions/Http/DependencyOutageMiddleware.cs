using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using Serverless.Core.Redis;
using Serverless.Core.Storage;

namespace Serverless.Functions.Http;

/// <summary>
/// The one place a dependency outage becomes an answer: an HTTP function that fails because Redis or Azure Storage is
/// unreachable, too slow or throttling answers 503 problem+json with <c>Retry-After</c> instead of 500. Other triggers
/// rethrow: a queue consumer's handler failures never get here (the message pipeline retries them with backoff), only
/// the pipeline's own, which the runtime retries after host.json's visibilityTimeout and poisons after its maxDequeueCount.
/// </summary>
internal sealed partial class DependencyOutageMiddleware(ILogger<DependencyOutageMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (Outage(ex) is { } outage && context.GetHttpContext() is { Response.HasStarted: false })
        {
            var http = context.GetHttpContext()!;
            LogOutage(logger, outage.Name, http.Request.Method, http.Request.Path.Value ?? "", ex);
            // Written here rather than as the invocation result: the ASP.NET Core integration leaves a response the
            // function wrote itself untouched, and this needs none of the worker's internal binding features.
            var answer = Problem.ServiceUnavailable($"{outage.Name}, which this request needs, is unavailable.", outage.RetryAfter);
            await answer.ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
        }
    }

    // Redis first: its exceptions are never Storage's, while a Storage check that looks inside inner exceptions could
    // claim a Redis timeout (a TimeoutException) as its own.
    private static (string Name, TimeSpan RetryAfter)? Outage(Exception ex) =>
        RedisOutage.Is(ex) ? ("Redis", RedisOutage.RetryAfter)
        : StorageOutage.Is(ex) ? ("Azure Storage", StorageOutage.RetryAfter)
        : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Dependency} unavailable: {Method} {Path} answered 503")]
    private static partial void LogOutage(ILogger logger, string dependency, string method, string path, Exception exception);
}
