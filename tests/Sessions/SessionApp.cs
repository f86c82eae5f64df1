using System.Text.Json;
using Microsoft.Extensions.Options;
using Serverless.Core.Sessions;
using Serverless.Functions.Sessions;
using Serverless.Testing;

namespace Serverless.Tests.Sessions;

internal sealed class SessionApp(Microsoft.Extensions.Hosting.IHost host, string prefix) : TestApp(host, prefix)
{
    public RedisSessionStore Store => Get<RedisSessionStore>();

    public SessionFunctions Functions => Create<SessionFunctions>();

    public SessionLifecycleFunctions Lifecycle => Create<SessionLifecycleFunctions>();

    public SessionOptions Options => Get<IOptions<SessionOptions>>().Value;

    public static async Task<SessionApp> StartAsync(
        ServicesFixture services, Dictionary<string, string?>? settings = null, TimeProvider? time = null,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configure = null)
    {
        var prefix = NewPrefix();
        return new SessionApp(await StartHostAsync(services, prefix, settings, time, configure), prefix);
    }

    public static Dictionary<string, JsonElement> Attributes(params (string Name, object? Value)[] values) =>
        values.ToDictionary(v => v.Name, v => JsonSerializer.SerializeToElement(v.Value));
}
