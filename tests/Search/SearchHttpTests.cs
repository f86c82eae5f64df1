using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Search;

[RedisBacked]
public sealed class SearchHttpTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task SearchAnswersTheDocumentedShapeWithAnXCacheHeader()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("h", "无线蓝牙耳机 主动降噪", price: 199.5m)]);

        var request = ActionResults.Request(query: "q=蓝牙耳机&size=5");
        var response = await ActionResults.ExecuteAsync(await app.Functions.Search(request, Ct), request);

        Assert.Equal(200, response.Status);
        Assert.Equal("miss", response.Headers["X-Cache"].ToString());
        var json = response.Json;
        Assert.Equal("蓝牙耳机", json.GetProperty("query").GetString());
        Assert.Equal(1, json.GetProperty("total").GetInt32());
        Assert.Equal(5, json.GetProperty("size").GetInt32());
        Assert.Equal("miss", json.GetProperty("cache").GetString());
        Assert.True(json.GetProperty("catalogVersion").GetInt64() > 0);
        Assert.True(json.GetProperty("tookMs").GetDouble() >= 0);
        var hit = json.GetProperty("hits")[0];
        Assert.Equal("h", hit.GetProperty("id").GetString());
        Assert.Equal(199.5m, hit.GetProperty("price").GetDecimal());
        Assert.True(hit.GetProperty("score").GetSingle() > 0);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("")]
    [InlineData("q=")]
    [InlineData("q=%20%20")]
    [InlineData("q=a&size=0")]
    [InlineData("q=a&size=101")]
    [InlineData("q=a&page=0")]
    [InlineData("q=a&page=101&size=100")]
    [InlineData("q=a&minPrice=10&maxPrice=5")]
    [InlineData("q=a&minPrice=-1")]
    [InlineData("q=a&maxPrice=cheap")]
    [InlineData("q=a&sort=popularity")]
    [InlineData("q=a&size=ten")]
    public async Task BadSearchAnswers400ProblemAndSearchesNothing(string query)
    {
        using var app = await new SearchWorld(services).StartAsync();

        var request = ActionResults.Request(query: query);
        var response = await ActionResults.ExecuteAsync(await app.Functions.Search(request, Ct), request);

        Assert.Equal(400, response.Status);
        Assert.True(response.IsProblem);
        Assert.Equal(0, app.Index.SearchCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task OverlongQueryAnswers400()
    {
        using var app = await new SearchWorld(services).StartAsync();

        var request = ActionResults.Request(query: "q=" + new string('a', 201));
        var response = await ActionResults.ExecuteAsync(await app.Functions.Search(request, Ct), request);

        Assert.Equal(400, response.Status);
    }

    [Fact(Timeout = 30_000)]
    public async Task InvalidCatalogItemsAnswer400WithPerItemErrorsAndEnqueueNothing()
    {
        using var app = await new SearchWorld(services).StartAsync();
        var body = """
            [{"id":"ok","title":"Fine","description":"","category":"A","brand":"B","price":1,"tags":[],"updatedAt":"2026-01-01T00:00:00Z"},
             {"id":"bad id!","title":"","description":"","category":"A","brand":"B","price":-1,"tags":[],"updatedAt":"2026-01-01T00:00:00Z"}]
            """;

        var request = ActionResults.Request("POST", body: body);
        var response = await ActionResults.ExecuteAsync(await app.Catalog.Upsert(request, Ct), request);

        Assert.Equal(400, response.Status);
        var errors = response.Json.GetProperty("errors");
        Assert.False(errors.TryGetProperty("0", out _));
        Assert.Equal(3, errors.GetProperty("1").GetArrayLength());
        var queue = app.Get<Serverless.Core.Search.Catalog.CatalogChangeQueue>().Queue;
        Assert.False((await queue.ExistsAsync(Ct)).Value && (await queue.PeekMessageAsync(Ct)).Value is not null);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("[]")]
    public async Task MalformedCatalogBodyAnswers400(string body)
    {
        using var app = await new SearchWorld(services).StartAsync();

        var request = ActionResults.Request("POST", body: body);
        var response = await ActionResults.ExecuteAsync(await app.Catalog.Upsert(request, Ct), request);

        Assert.Equal(400, response.Status);
        Assert.True(response.IsProblem);
    }

    [Fact(Timeout = 30_000)]
    public async Task DeletingAMalformedIdAnswers400()
    {
        using var app = await new SearchWorld(services).StartAsync();

        var response = await ActionResults.ExecuteAsync(await app.Catalog.Delete(ActionResults.Request("DELETE"), "bad id", Ct));

        Assert.Equal(400, response.Status);
    }
}
