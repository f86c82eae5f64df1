using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using Serverless.Core.Redis;

namespace Serverless.Functions.Http;

/// <summary>
/// The one place a Redis outage becomes an answer: an HTTP function that fails because Redis is unreachable or too
/// slow answers 503 problem+json with <c>Retry-After</c> instead of 500. Other triggers rethrow: a queue consumer's
/// handler failures never get here (the message pipeline retries them with backoff), only the pipeline's own, which
/// the runtime retries after host.json's visibilityTimeout and poisons after its maxDequeueCount.
/// </summary>
internal sealed partial class RedisOutageMiddleware(ILogger<RedisOutageMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (RedisOutage.Is(ex) && context.GetHttpContext() is { Response.HasStarted: false })
        {
            var http = context.GetHttpContext()!;
            LogOutage(logger, http.Request.Method, http.Request.Path.Value ?? "", ex);
            // Written here rather than as the invocation result: the ASP.NET Core integration leaves a response the
            // function wrote itself untouched, and this needs none of the worker's internal binding features.
            var answer = Problem.ServiceUnavailable("Redis, which this request needs, is unavailable.", RedisOutage.RetryAfter);
            await answer.ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable: {Method} {Path} answered 503")]
    private static partial void LogOutage(ILogger logger, string method, string path, Exception exception);
}
