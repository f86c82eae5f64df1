using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Serverless.Core.Caching;
using Serverless.Core.Records;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of cached records.</summary>
public static class RecordsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="RecordStore"/>, the L1 backplane and the write-behind flusher, with <see cref="RecordsOptions"/>
    /// from the <c>Records</c> section (validated at start-up).
    /// </summary>
    public static IServiceCollection AddServerlessRecords(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RecordsOptions>()
            .Bind(configuration.GetSection(RecordsOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<RecordFaults>();
        services.TryAddSingleton<VersionedCache>();
        services.TryAddSingleton<InvalidationBackplane>();
        services.TryAddSingleton<RecordCollections>();
        services.TryAddSingleton<RecordKeys>();
        services.TryAddSingleton<RecordTable>();
        services.TryAddSingleton(sp => new RecordStore(
            sp.GetRequiredService<RecordCollections>(), sp.GetRequiredService<VersionedCache>(), sp.GetRequiredService<InvalidationBackplane>(),
            sp.GetRequiredService<RecordTable>(), sp.GetRequiredService<RecordKeys>(), sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<RecordFaults>(), sp.GetRequiredService<ILogger<RecordStore>>()));
        services.TryAddSingleton<WriteBehindFlusher>();
        services.AddHostedService(sp => sp.GetRequiredService<WriteBehindFlusher>());
        return services;
    }
}
