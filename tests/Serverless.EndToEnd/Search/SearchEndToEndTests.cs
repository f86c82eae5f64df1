using Serverless.Core.Messaging;
using Serverless.Core.Search;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Index;
using Serverless.Core.Search.Query;
using Serverless.Core.Storage;
using Serverless.EndToEnd.Host;
using Serverless.Testing;
using Xunit;

namespace Serverless.EndToEnd.Search;

/// <summary>
/// The catalog pipeline through the host: HTTP upsert, the Storage queue, the queue-triggered indexer, the index
/// sync and the cached search.
/// </summary>
[RedisBacked]
public sealed class SearchEndToEndTests(HostFixture fixture)
{
    // The target is 5 s on a quiet machine; the deadline leaves room for a busy one.
    private static readonly TimeSpan Indexing = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 120_000)]
    [Covers("UpsertProducts", "CatalogIndexer", "Search", "DeleteProduct")]
    public async Task AnUpsertedProductIsFoundThroughTheQueueAndADeletedOneIsGone()
    {
        fixture.AssertIndexed("CatalogIndexer");
        using var client = fixture.Client();
        var word = Word();

        var accepted = await Answer.SendAsync(client, HttpMethod.Post, "catalog/products", new[] { Product(word) });
        Assert.True(accepted.Status == 202, accepted.ToString());
        var started = DateTime.UtcNow;
        // Polled with a filter: a query searched before the change is hot, and the indexer's warm-up would pre-fill it.
        await Eventually.GetAsync(() => SearchAsync(client, word, "&brand=Sony"), a => a.Status == 200 && a.Json.GetProperty("total").GetInt32() == 1, Indexing,
            $"search for '{word}' finds the upserted product");
        TestContext.Current.TestOutputHelper?.WriteLine($"upsert → searchable through the host: {(DateTime.UtcNow - started).TotalSeconds:F1} s");
        var found = await SearchAsync(client, word);
        var again = await SearchAsync(client, word);

        Assert.Equal(1, found.Json.GetProperty("total").GetInt32());
        Assert.Equal("miss", found.Header("X-Cache"));
        Assert.Equal("hit-l1", again.Header("X-Cache"));
        Assert.Equal($"e2e-{word}", again.Json.GetProperty("hits")[0].GetProperty("id").GetString());

        var deleted = await Answer.SendAsync(client, HttpMethod.Delete, $"catalog/products/e2e-{word}");
        Assert.True(deleted.Status == 202, deleted.ToString());
        await Eventually.GetAsync(() => SearchAsync(client, word), a => a.Status == 200 && a.Json.GetProperty("total").GetInt32() == 0, Indexing,
            $"search for '{word}' no longer finds the deleted product");
    }

    [Fact(Timeout = 120_000)]
    [Covers("CatalogIndexer")]
    public async Task AnUndecodableCatalogMessageEndsInThePoisonQueue()
    {
        fixture.AssertIndexed("CatalogIndexer");
        var queue = fixture.Get<CatalogChangeQueue>();
        await queue.Queue.CreateIfNotExistsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var text = $"not a catalog change {Guid.NewGuid():N}";

        await queue.Queue.SendMessageAsync(text, TestContext.Current.CancellationToken);

        var poison = fixture.Get<StorageClients>().Queues.GetQueueClient(PoisonQueue.For(queue.Queue.Name));
        var envelopes = await Eventually.GetAsync(async () =>
        {
            await poison.CreateIfNotExistsAsync(cancellationToken: TestContext.Current.CancellationToken);
            var peeked = await poison.PeekMessagesAsync(32, TestContext.Current.CancellationToken);
            return peeked.Value.Select(m => MessageEnvelope.TryRead(m.Body.ToString())).OfType<MessageEnvelope>().ToList();
        }, found => found.Any(e => e.Body == text), Indexing, "the message is in catalog-changes-poison as an envelope");

        // Poisoned by the pipeline at its first delivery, not by the runtime after its retries.
        var envelope = envelopes.Single(e => e.Body == text);
        Assert.Equal((CatalogIndexer.ConsumerName, queue.Queue.Name, 1, 0), (envelope.Consumer, envelope.SourceQueue, envelope.Attempt, envelope.ReplayCount));
        Assert.StartsWith("Undecodable: ", envelope.Error, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(envelope.MessageId));
    }

    [Fact(Timeout = 120_000)]
    [Covers("SearchWarmup", "SearchWarmupTimer")]
    public async Task TheWarmupTimerRefillsAHotQueryThatLeftTheCache()
    {
        fixture.AssertIndexed("SearchWarmupTimer");
        using var client = fixture.Client();
        var word = Word();
        var first = await SearchAsync(client, word);
        Assert.True(first.Status == 200, first.ToString());
        var query = new SearchRequest(word).Parse().Query!;
        var cache = fixture.Get<SearchCache>().Fusion;

        // Removing through FusionCache also drops the worker's L1 (backplane): only a warm-up can bring the entry back.
        await cache.RemoveAsync(SearchService.Key(query, first.Json.GetProperty("catalogVersion").GetInt64()), token: TestContext.Current.CancellationToken);
        // The warm-up refreshes at the catalog's current version, and another collection's test (the outbox relay's)
        // may change the catalog meanwhile: look for the entry at the version a search of another word reports now.
        await Eventually.GetAsync(async () =>
        {
            var probe = await SearchAsync(client, "zqversionprobe");
            var key = SearchService.Key(query, probe.Json.GetProperty("catalogVersion").GetInt64());
            return (await cache.TryGetAsync<SearchResult>(key, token: TestContext.Current.CancellationToken)).HasValue;
        }, present => present, TimeSpan.FromSeconds(60), $"the warm-up timer puts '{word}' back into Redis");

        var manual = await Answer.SendAsync(client, HttpMethod.Post, "search/warmup");
        Assert.True(manual.Status == 200, manual.ToString());
        Assert.True(manual.Json.GetProperty("warmed").GetInt32() >= 1, manual.Body);
    }

    [Fact(Timeout = 120_000)]
    [Covers("SearchSnapshotTimer")]
    public async Task TheSnapshotTimerUploadsTheIndexAtTheCurrentVersion()
    {
        fixture.AssertIndexed("SearchSnapshotTimer");
        using var client = fixture.Client();
        var version = (await SearchAsync(client, Word())).Json.GetProperty("catalogVersion").GetInt64();
        var snapshots = fixture.Get<IndexSnapshots>();

        var snapshot = await Eventually.GetAsync(() => snapshots.TryDownloadAsync(TestContext.Current.CancellationToken),
            s => s is not null && s.Version >= version, TimeSpan.FromSeconds(60), $"a snapshot at version {version} or later");

        await using var zip = snapshot!.Zip;
        Assert.True(zip.ReadByte() >= 0, "the snapshot has content");
    }

    private static Task<Answer> SearchAsync(HttpClient client, string word, string filters = "") =>
        Answer.SendAsync(client, HttpMethod.Get, $"search?q={Uri.EscapeDataString(word)}{filters}");

    // A made-up word no other product contains, so results are this test's alone.
    private static string Word() => "zq" + Guid.NewGuid().ToString("N")[..10];

    private static object Product(string word) => new
    {
        id = $"e2e-{word}",
        title = $"{word} Wireless Headphones",
        description = "End-to-end test product",
        category = "Headphones",
        brand = "Sony",
        price = 199.0m,
        tags = new[] { "e2e" },
        updatedAt = DateTimeOffset.UtcNow,
    };
}
