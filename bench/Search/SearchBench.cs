using System.Diagnostics;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Bench.Harness;
using Serverless.Core.Search;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Index;
using Serverless.Core.Search.Query;
using Serverless.Testing;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;

namespace Serverless.Bench.Search;

/// <summary>
/// 100,000 generated bilingual products: uncached index search vs L1 and L2 cache hits, with raw Redis GET and
/// MemoryCache.TryGetValue measured in the same run as baselines.
/// </summary>
public static class SearchBench
{
    private static readonly string[] Texts =
    [
        "蓝牙耳机", "无线蓝牙耳机 主动降噪", "智能手机", "游戏本", "咖啡机", "跑步鞋", "双肩背包", "快速充电", "轻薄笔记本", "人体工学",
        "wireless headphones", "gaming laptop", "espresso machine", "running shoes", "laptop backpack", "phones", "noise cancelling",
        "fast charging", "hiking boots", "foldable phone",
    ];

    public static async Task RunAsync(TimeSpan duration)
    {
        const int products = 100_000;
        await using var redis = await RedisServer.StartAsync();
        var indexDir = Path.Combine(Path.GetTempPath(), "serverless-bench-index", Guid.NewGuid().ToString("N"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["Search:IndexDirectory"] = indexDir,
        }).Build();
        await using var provider = new ServiceCollection().AddLogging().AddServerless(configuration).BuildServiceProvider();
        var index = provider.GetRequiredService<SearchIndex>();

        var build = Stopwatch.StartNew();
        index.Open(null, 1, "0-0");
        index.AddAll(ProductGenerator.Generate(products, seed: 42));
        build.Stop();
        var indexBytes = Directory.EnumerateFiles(indexDir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        GC.Collect();
        var workingSet = Environment.WorkingSet;

        var queries = Texts.SelectMany(t => new[] { t + "", t + " " }.Select((text, i) => new SearchRequest(text, Sort: i == 0 ? null : "price_asc").Parse().Query!)).ToArray();
        var engine = provider.GetRequiredService<ISearchEngine>();
        var next = 0;
        SearchQuery NextQuery() => queries[Interlocked.Increment(ref next) % queries.Length];
        var uncached = await Throughput.MeasureValueTaskAsync("index search (uncached)", 1, duration, () => { engine.Search(NextQuery()); return ValueTask.CompletedTask; });

        var search = provider.GetRequiredService<SearchService>();
        var hot = queries[0];
        await search.SearchAsync(hot);
        var l1 = await Throughput.MeasureValueTaskAsync("search, L1 hit", 1, duration, () =>
        {
            var pending = search.SearchAsync(hot);
            return pending.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(pending.AsTask());
        });
        var memory = new MemoryCache(new MemoryCacheOptions());
        var payload = engine.Search(hot);
        memory.Set("k", payload);
        var memoryGet = await Throughput.MeasureValueTaskAsync("MemoryCache.TryGetValue (raw)", 1, duration, () => { memory.TryGetValue("k", out _); return ValueTask.CompletedTask; });
        var fusionL1 = provider.GetRequiredService<SearchCache>().Fusion;
        var l1Key = SearchService.Key(hot, index.Version);
        var memoryOnly = new FusionCacheEntryOptions { SkipDistributedCacheRead = true };
        var fusionGet = await Throughput.MeasureValueTaskAsync("FusionCache.TryGet alone (L1)", 1, duration, () => { fusionL1.TryGet<SearchResult>(l1Key, memoryOnly); return ValueTask.CompletedTask; });

        var fusion = provider.GetRequiredService<SearchCache>().Fusion;
        var l2Only = new FusionCacheEntryOptions { SkipMemoryCacheRead = true, SkipMemoryCacheWrite = true };
        var key = SearchService.Key(hot, index.Version);
        var db = provider.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var rawBytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(payload);
        await db.StringSetAsync("raw:payload", rawBytes);
        var rows = new List<(Throughput.Result, Throughput.Result)> { (l1, memoryGet), (fusionGet, memoryGet) };
        foreach (var concurrency in new[] { 1, 16 })
        {
            var rawGet = await Throughput.MeasureAsync("GET same payload (raw)", concurrency, duration, () => db.StringGetAsync("raw:payload"));
            var l2 = await Throughput.MeasureAsync("search, L2 hit (empty L1)", concurrency, duration, async () =>
            {
                if (!(await fusion.TryGetAsync<SearchResult>(key, l2Only)).HasValue)
                {
                    throw new InvalidOperationException("expected an L2 hit");
                }
            });
            rows.Add((l2, rawGet));
        }

        rows.Add((uncached, l1));
        await new Report("Search: 100,000 bilingual products, uncached vs L1/L2 hits (same run baselines)")
            .Line($"Redis: {redis.Flavour}; {duration.TotalSeconds:F0} s per measurement after warm-up. Payload: one page of 20 hits, {rawBytes.Length:N0} bytes JSON.")
            .Line("")
            .Table(rows)
            .Line($"- Index build: {products:N0} products in {build.Elapsed.TotalSeconds:F1} s ({products / build.Elapsed.TotalSeconds:N0} products/s, SmartCn + English analysis).")
            .Line($"- Index size on disk: {indexBytes / 1024.0 / 1024.0:F1} MiB. Process working set after indexing: {workingSet / 1024.0 / 1024.0:F0} MiB.")
            .Line($"- Uncached p50 / L1-hit p50 = {uncached.P50Ms / l1.P50Ms:F0}x; uncached p50 / L2-hit p50 (c=1) = {uncached.P50Ms / rows[1].Item1.P50Ms:F1}x.")
            .Line($"- L1 hit mean latency / MemoryCache mean latency = {memoryGet.OpsPerSecond / l1.OpsPerSecond:F1}x (goal ≤ 3x; lower is better).")
            .SaveAsync("search");
        Directory.Delete(indexDir, recursive: true);
    }
}
