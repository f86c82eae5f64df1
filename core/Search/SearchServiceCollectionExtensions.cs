using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Core.Search;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Index;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of cached search.</summary>
public static class SearchServiceCollectionExtensions
{
    /// <summary>Adds the catalog, this instance's index and its synchronizer, the search cache and warm-up.</summary>
    public static IServiceCollection AddServerlessSearch(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SearchOptions>()
            .Bind(configuration.GetSection(SearchOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<CatalogStore>();
        services.TryAddSingleton<CatalogChangeLog>();
        services.TryAddSingleton<CatalogChangeQueue>();
        services.AddMessageHandler<CatalogIndexer, CatalogChange>();
        services.TryAddSingleton<SearchIndex>();
        services.TryAddSingleton<ISearchEngine>(sp => sp.GetRequiredService<SearchIndex>());
        services.TryAddSingleton<IndexSnapshots>();
        services.TryAddSingleton<IndexSynchronizer>();
        services.AddHostedService(sp => sp.GetRequiredService<IndexSynchronizer>());
        services.TryAddSingleton(sp => new SearchCache(SearchCacheFactory.Create(sp), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SearchOptions>>()));
        services.TryAddSingleton<HotQueries>();
        services.TryAddSingleton<SearchService>();
        services.TryAddSingleton<SearchWarmer>();
        return services;
    }
}
