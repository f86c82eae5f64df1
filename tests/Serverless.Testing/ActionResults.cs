using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;

namespace Serverless.Testing;

/// <summary>
/// Runs a function's <see cref="IActionResult"/> the way the Functions ASP.NET Core integration does, so tests see the
/// real status, content type and body without starting the host (tests/Serverless.EndToEnd runs the real one).
/// </summary>
public static class ActionResults
{
    private static readonly IServiceProvider Services = new ServiceCollection().AddLogging().AddMvcCore().Services.BuildServiceProvider();

    public static HttpRequest Request(string method = "GET", string? query = null, string? body = null, IDictionary<string, string>? headers = null)
    {
        var context = new DefaultHttpContext { RequestServices = Services };
        context.Request.Method = method;
        if (query is not null)
        {
            context.Request.QueryString = new QueryString(query.StartsWith('?') ? query : "?" + query);
        }

        if (body is not null)
        {
            context.Request.Body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body));
            context.Request.ContentType = "application/json";
        }

        foreach (var (key, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[key] = value;
        }

        return context.Request;
    }

    public static async Task<Response> ExecuteAsync(IActionResult result, HttpRequest? request = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var context = request?.HttpContext ?? new DefaultHttpContext();
        context.RequestServices = Services;
        var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        return new Response(context.Response.StatusCode, context.Response.ContentType, System.Text.Encoding.UTF8.GetString(body.ToArray()), context.Response.Headers);
    }

    public sealed record Response(int Status, string? ContentType, string Body, IHeaderDictionary Headers)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;

        public bool IsProblem => ContentType?.StartsWith("application/problem+json", StringComparison.Ordinal) == true;
    }
}
