using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Core.Search;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Index;
using Serverless.Core.Search.Query;
using Serverless.Functions.Search;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Search;

/// <summary>
/// One search "deployment" per test (its own key prefix, table, queue and snapshot container) and any number of app
/// instances on it, each with its own in-process index, all sharing Redis and Azurite.
/// </summary>
internal sealed class SearchWorld(ServicesFixture services, Dictionary<string, string?>? settings = null)
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..10];

    public Dictionary<string, string?> Settings { get; } = new(settings ?? [])
    {
        ["Redis:KeyPrefix"] = $"s{Guid.NewGuid():N}"[..11] + ":",
        ["Search:CatalogTable"] = $"catalog{Guid.NewGuid():N}"[..20],
        ["Search:ChangeQueue"] = $"changes-{Guid.NewGuid():N}"[..20],
        ["Search:SnapshotContainer"] = $"index-{Guid.NewGuid():N}"[..20],
    };

    public string Id => _id;

    public async Task<SearchApp> StartAsync(Action<IServiceCollection>? configure = null)
    {
        var host = await services.StartAppAsync(Settings, configure);
        var app = new SearchApp(host, Settings["Redis:KeyPrefix"]!);
        await app.Index.Ready.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return app;
    }

    /// <summary>Writes products the way the indexer does (catalog, then change log) and waits for <paramref name="app"/> to see them.</summary>
    public static async Task SeedAsync(SearchApp app, IEnumerable<Product> products)
    {
        var change = new CatalogChange(products.ToList(), []);
        await app.Get<CatalogStore>().ApplyAsync(change, TestContext.Current.CancellationToken);
        var version = await app.Get<CatalogChangeLog>().AppendAsync(change);
        await app.Get<IndexSynchronizer>().CatchUpAsync(version, TestContext.Current.CancellationToken);
    }
}

internal sealed class SearchApp(IHost host, string prefix) : TestApp(host, prefix)
{
    public SearchIndex Index => Get<SearchIndex>();

    public SearchService Search => Get<SearchService>();

    public SearchFunctions Functions => Create<SearchFunctions>();

    public CatalogFunctions Catalog => Create<CatalogFunctions>();

    public Task<SearchResponse> QueryAsync(string q, string? sort = null, string? category = null, string? brand = null, string? min = null, string? max = null) =>
        Search.SearchAsync(new SearchRequest(q, category, brand, min, max, sort).Parse().Query!, TestContext.Current.CancellationToken).AsTask();
}

internal static class Products
{
    public static Product Make(string id, string title, string category = "Headphones", string brand = "Sony", decimal price = 100, string description = "", int daysOld = 0) =>
        new(id, title, description, category, brand, price, [], new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero).AddDays(-daysOld));
}
