using Serverless.Core.Search.Catalog;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Search;

[RedisBacked]
public sealed class SearchRelevanceTests(ServicesFixture services)
{
    [Fact(Timeout = 30_000)]
    public async Task ChineseSegmentationFindsAProductByPartOfItsTitle()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("zh1", "无线蓝牙耳机 主动降噪"), Products.Make("zh2", "意式咖啡机 全自动", "Coffee Makers")]);

        var result = (await app.QueryAsync("蓝牙耳机")).Result;

        Assert.Equal(["zh1"], result.Hits.Select(h => h.Id));
    }

    [Fact(Timeout = 30_000)]
    public async Task EnglishStemmingFindsPhoneForPhones()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("en1", "Rugged phone with big battery", "Phones"), Products.Make("en2", "Espresso machine", "Coffee Makers")]);

        var result = (await app.QueryAsync("phones")).Result;

        Assert.Equal(["en1"], result.Hits.Select(h => h.Id));
    }

    [Fact(Timeout = 30_000)]
    public async Task FiltersAndSortsNarrowAndOrderTheMatches()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app,
        [
            Products.Make("a", "Wireless headphones", brand: "Sony", price: 300, daysOld: 30),
            Products.Make("b", "Wireless headphones pro", brand: "Sony", price: 100, daysOld: 1),
            Products.Make("c", "Wireless headphones lite", brand: "Apple", price: 200, daysOld: 10),
            Products.Make("d", "Wireless phone", category: "Phones", brand: "Sony", price: 150),
        ]);

        Assert.Equal(["b", "c", "a"], (await app.QueryAsync("wireless headphones", sort: "price_asc")).Result.Hits.Select(h => h.Id));
        Assert.Equal(["a", "c", "b"], (await app.QueryAsync("wireless headphones", sort: "price_desc")).Result.Hits.Select(h => h.Id));
        Assert.Equal(["b", "c", "a"], (await app.QueryAsync("wireless headphones", sort: "newest")).Result.Hits.Select(h => h.Id));
        Assert.Equal(["a", "b"], (await app.QueryAsync("wireless", brand: "SONY", category: "headphones", sort: "price_desc")).Result.Hits.Select(h => h.Id));
        Assert.Equal(["d", "c"], (await app.QueryAsync("wireless", min: "150", max: "200", sort: "price_asc")).Result.Hits.Select(h => h.Id));
    }

    [Theory(Timeout = 30_000)]
    [InlineData("title:(headphones OR *)")]
    [InlineData("\"unbalanced")]
    [InlineData("AND OR NOT ~ ^ [ ] { } \\")]
    public async Task LuceneSyntaxInTheQueryIsPlainText(string q)
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("h", "Wireless headphones")]);

        var response = await app.QueryAsync(q);

        Assert.True(response.Result.Total >= 0);
    }

    [Fact(Timeout = 30_000)]
    public async Task PagingReturnsTheRequestedSlice()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, Enumerable.Range(0, 25).Select(i => Products.Make($"p{i:00}", "Wireless headphones", price: i)));

        var query = new Serverless.Core.Search.Query.SearchRequest("wireless", Sort: "price_asc", Page: "3", Size: "10").Parse().Query!;
        var page = (await app.Search.SearchAsync(query, TestContext.Current.CancellationToken)).Result;

        Assert.Equal(25, page.Total);
        Assert.Equal(["p20", "p21", "p22", "p23", "p24"], page.Hits.Select(h => h.Id));
    }

    [Fact(Timeout = 60_000)]
    public async Task GeneratedBilingualCatalogAnswersBothLanguages()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, ProductGenerator.Generate(300, seed: 7));

        Assert.True((await app.QueryAsync("耳机")).Result.Total > 0);
        Assert.True((await app.QueryAsync("headphone")).Result.Total > 0);
        Assert.Equal(ProductGenerator.Generate(300, seed: 7).Select(p => p.Title), ProductGenerator.Generate(300, seed: 7).Select(p => p.Title));
    }
}
