using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Core.Sessions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of Redis sessions.</summary>
public static class SessionServiceCollectionExtensions
{
    /// <summary>Adds <see cref="RedisSessionStore"/> with <see cref="SessionOptions"/> from the <c>Sessions</c> section.</summary>
    public static IServiceCollection AddServerlessSessions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SessionOptions>()
            .Bind(configuration.GetSection(SessionOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<SessionRules>();
        services.TryAddSingleton<RedisSessionStore>();
        return services;
    }
}
