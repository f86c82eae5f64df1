using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Core.Locking;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the Redis lock and the fenced table.</summary>
public static class LockingServiceCollectionExtensions
{
    /// <summary>Adds <see cref="RedisLock"/> (with its <see cref="LockEpochs"/>) and <see cref="FencedTable"/> with <see cref="LockingOptions"/> from the <c>Locking</c> section.</summary>
    public static IServiceCollection AddServerlessLocking(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LockingOptions>()
            .Bind(configuration.GetSection(LockingOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<LockEpochs>();
        services.TryAddSingleton<RedisLock>();
        services.TryAddSingleton<FencedTable>();
        return services;
    }
}
