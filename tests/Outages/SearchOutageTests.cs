using Serverless.Testing;
using Serverless.Tests.Search;
using Xunit;

namespace Serverless.Tests.Outages;

/// <summary>Search needs Redis only as a shared cache: with Redis down it keeps answering from memory and its own index.</summary>
public sealed class SearchOutageTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 90_000)]
    public async Task SearchKeepsAnsweringFromMemoryAndTheLocalIndexWhileRedisIsDown()
    {
        await using var redis = await OwnRedisServer.StartAsync(persistence: true);
        var world = new SearchWorld(services, new() { ["Redis:ConnectionString"] = redis.ConnectionString });
        using var app = await world.StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("h", "wireless headphones"), Products.Make("k", "mechanical keyboard", category: "Keyboards")]);
        Assert.Equal("miss", (await SearchAsync(app, "q=headphones")).Headers["X-Cache"].ToString());

        await redis.StopAsync();
        var (cached, cachedTook) = await OutageAssertions.TimedAsync("search of a cached query, Redis down", () => SearchAsync(app, "q=headphones"));
        var (fresh, freshTook) = await OutageAssertions.TimedAsync("search of a new query, Redis down", () => SearchAsync(app, "q=keyboard"));

        Assert.Equal((200, "hit-l1"), (cached.Status, cached.Headers["X-Cache"].ToString()));
        Assert.Equal("h", cached.Json.GetProperty("hits")[0].GetProperty("id").GetString());
        // Not in memory: L2 read, distributed lock and backplane all fail, and the index still answers.
        Assert.Equal(200, fresh.Status);
        Assert.Equal("k", fresh.Json.GetProperty("hits")[0].GetProperty("id").GetString());
        Assert.True(cachedTook < OutageAssertions.StallGuard && freshTook < OutageAssertions.StallGuard, $"cached {cachedTook}, fresh {freshTook}");
    }

    private static async Task<ActionResults.Response> SearchAsync(SearchApp app, string query)
    {
        var request = ActionResults.Request(query: query);
        return await WorkerPipeline.RunAsync(request, () => app.Functions.Search(request, Ct));
    }
}
