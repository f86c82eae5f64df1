using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Serverless.Tests.Outages;

/// <summary>
/// The part of a worker <see cref="FunctionContext"/> that <c>DependencyOutageMiddleware</c> reads: the HttpContext the
/// ASP.NET Core integration puts into <see cref="Items"/> for HTTP triggers (and leaves out for other triggers).
/// </summary>
internal sealed class FakeFunctionContext : FunctionContext
{
    // The key FunctionsHttpProxyingMiddleware stores the HttpContext under, which GetHttpContext() reads.
    private const string HttpContextKey = "HttpRequestContext";

    public FakeFunctionContext(HttpContext? http)
    {
        if (http is not null)
        {
            Items[HttpContextKey] = http;
        }
    }

    public override string InvocationId { get; } = Guid.NewGuid().ToString("N");

    public override string FunctionId => "fake";

    public override TraceContext TraceContext => throw new NotSupportedException();

    public override BindingContext BindingContext => throw new NotSupportedException();

    public override RetryContext RetryContext => throw new NotSupportedException();

    public override IServiceProvider InstanceServices { get; set; } = new ServiceCollection().BuildServiceProvider();

    public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();

    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

    public override IInvocationFeatures Features => throw new NotSupportedException();
}
