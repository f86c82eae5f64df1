using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Serverless.Tests.Fuzz;

/// <summary>
/// One generated request. <paramref name="MustReject"/> cases are malformed for the function and must answer 4xx
/// without writing anything; the others may be valid and must only never fail (no exception, no 5xx, 4xx as
/// problem+json).
/// </summary>
internal sealed record FuzzCase(
    string Label,
    bool MustReject,
    IReadOnlyDictionary<string, string> Route,
    string? Query,
    byte[]? Body,
    IReadOnlyDictionary<string, string[]> Headers,
    long? ContentLength = null)
{
    public HttpRequest ToRequest(string method)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        if (Query is not null)
        {
            context.Request.QueryString = new QueryString("?" + Query);
        }

        if (Body is not null)
        {
            context.Request.Body = new MemoryStream(Body);
            context.Request.ContentType = "application/json";
        }

        context.Request.ContentLength = ContentLength ?? Body?.Length;
        foreach (var (name, values) in Headers)
        {
            context.Request.Headers[name] = new StringValues(values);
        }

        return context.Request;
    }

    public override string ToString() => Label;

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
