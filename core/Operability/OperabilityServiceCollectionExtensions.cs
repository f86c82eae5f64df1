using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Core.Operability;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the status page's parts.</summary>
public static class OperabilityServiceCollectionExtensions
{
    /// <summary>
    /// The meter totals (listening from host start, so the page counts from then) and the status reader.
    /// </summary>
    public static IServiceCollection AddServerlessOperability(this IServiceCollection services)
    {
        services.TryAddSingleton<MeterTotals>();
        // As a hosted service so the host builds it at start-up, not on the first page view, and disposes it at stop.
        services.AddHostedService(sp => sp.GetRequiredService<MeterTotals>());
        services.TryAddSingleton<StatusReader>();
        return services;
    }
}
