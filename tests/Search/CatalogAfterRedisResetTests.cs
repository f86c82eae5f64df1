using System.Text.Json;
using Serverless.Core.Redis;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Index;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Search;

/// <summary>
/// Redis coming back empty (a restart without persistence, a failover that lost data, a new server) while the
/// catalog Table and an index snapshot survive: instances converge by themselves and the version never goes back.
/// </summary>
[RedisBacked]
public sealed class CatalogAfterRedisResetTests(ServicesFixture services)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 90_000)]
    public async Task ChangeAfterRedisLostItsDataReachesEveryInstanceAboveEveryVersionSeenBefore()
    {
        var world = new SearchWorld(services);
        using var indexer = await world.StartAsync();
        await SearchWorld.SeedAsync(indexer, [Products.Make("s1", "Wireless headphones")]);
        await indexer.Get<IndexSnapshots>().UploadAsync(indexer.Index, Ct);
        await SearchWorld.SeedAsync(indexer, [Products.Make("s2", "Wireless speaker")]);
        using var warm = await world.StartAsync();
        await warm.Get<IndexSynchronizer>().CatchUpAsync(indexer.Index.Version, Ct);
        Assert.Equal(2, (await warm.QueryAsync("wireless")).Result.Total); // in its memory cache under the old version
        var seen = Math.Max(indexer.Index.Version, warm.Index.Version);

        await LoseRedisDataAsync(indexer);
        using var cold = await world.StartAsync(); // from the snapshot, which is behind, into an empty Redis
        var version = await indexer.Get<CatalogIndexer>().ProcessAsync(Message(Products.Make("n", "Wireless earbuds")), Ct);

        Assert.True(version > seen, $"the change was applied at version {version}, not above {seen} seen before");
        Assert.Equal(3, (await indexer.QueryAsync("wireless")).Result.Total);
        SearchApp[] instances = [indexer, warm, cold];
        var log = indexer.Get<CatalogChangeLog>();
        await PollAsync(async () =>
        {
            var current = await log.CurrentVersionAsync();
            foreach (var app in instances)
            {
                if (app.Index.Version != current || (await app.QueryAsync("wireless")).Result.Total != 3)
                {
                    return false;
                }
            }

            return true;
        }, "every instance to search the new change at the latest catalog version");

        Assert.True(await log.CurrentVersionAsync() > seen);
        foreach (var app in instances)
        {
            var sync = app.Get<IndexSynchronizer>();
            var reloads = sync.Reloads;
            Assert.InRange(reloads, 0, 2);
            Assert.Equal(0, await sync.SyncOnceAsync(Ct));
            Assert.Equal(0, await sync.SyncOnceAsync(Ct));
            Assert.Equal(reloads, sync.Reloads);
            Assert.Equal(["n", "s1", "s2"], (await app.QueryAsync("wireless")).Result.Hits.Select(h => h.Id).Order());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task IdleInstanceRaisesTheVersionAboveWhatItHadSeenWhenRedisLosesIt()
    {
        using var app = await new SearchWorld(services).StartAsync();
        await SearchWorld.SeedAsync(app, [Products.Make("a", "Wireless headphones")]);
        await SearchWorld.SeedAsync(app, [Products.Make("b", "Wireless speaker")]);
        var seen = app.Index.Version;

        await LoseRedisDataAsync(app);

        var log = app.Get<CatalogChangeLog>();
        await PollAsync(async () => await log.CurrentVersionAsync() > seen && app.Index.Version > seen, "the background sync to raise the version");
        Assert.Equal(2, (await app.QueryAsync("wireless")).Result.Total);
        Assert.InRange(app.Get<IndexSynchronizer>().Reloads, 1, 2); // bounded: seen 2 once on the cluster, cause not yet explained
    }

    [Fact(Timeout = 90_000)]
    public async Task ColdInstanceWhoseSnapshotTheTrimmedLogNoLongerReachesRebuildsFromTheCatalog()
    {
        var world = new SearchWorld(services);
        using var warm = await world.StartAsync();
        await SearchWorld.SeedAsync(warm, [Products.Make("s1", "Wireless headphones")]);
        await warm.Get<IndexSnapshots>().UploadAsync(warm.Index, Ct);
        var change = new CatalogChange([Products.Make("s2", "Wireless speaker")], []);
        await warm.Get<CatalogStore>().ApplyAsync(change, Ct);
        var log = warm.Get<CatalogChangeLog>();
        var latest = 0L;
        for (var i = 0; i < CatalogChangeLog.Retained + 300; i++)
        {
            latest = await log.AppendAsync(i == 0 ? change : new CatalogChange([], []));
        }

        Assert.True((await log.ReadAfterAsync("0-0", 1))[0].Version > 2, "the log was not trimmed past the snapshot");

        using var cold = await world.StartAsync();
        await cold.Get<IndexSynchronizer>().CatchUpAsync(latest, Ct);

        Assert.Equal(["s1", "s2"], (await cold.QueryAsync("wireless")).Result.Hits.Select(h => h.Id).Order());
        Assert.InRange(cold.Get<IndexSynchronizer>().Reloads, 1, 2);
    }

    /// <summary>What a Redis restart without persistence leaves of this app: none of its keys.</summary>
    private static async Task LoseRedisDataAsync(SearchApp app)
    {
        var keys = app.Get<RedisKeys>();
        RedisKey[] catalog = [keys.Tagged("search", "catalog", "version"), keys.Tagged("search", "catalog", "changes")];
        foreach (var key in await app.KeysAsync())
        {
            if (!catalog.Contains(key))
            {
                await app.Database.KeyDeleteAsync(key);
            }
        }

        // Last and in one DEL (one hash slot), as a restart loses them: a sync seeing only one of them gone would
        // rebase, and deleting its marker afterwards would make it a second loss.
        await app.Database.KeyDeleteAsync(catalog);
    }

    private static string Message(params Product[] products) =>
        JsonSerializer.Serialize(new CatalogChange(products, []), CatalogJson.Default.CatalogChange);

    private static async Task PollAsync(Func<Task<bool>> done, string what)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await done())
        {
            Assert.True(watch.Elapsed < Deadline, $"timed out after {Deadline} waiting for {what}");
            await Task.Delay(100, Ct);
        }
    }
}
