using Serverless.Core.Search.Catalog;
using Serverless.EndToEnd.Host;
using Serverless.Testing;
using Xunit;

namespace Serverless.EndToEnd.Queues;

[RedisBacked]
public sealed class OutboxRelayEndToEndTests(HostFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A batch recorded in the outbox by a writer that died before its nudge (recorded here, in-process, and never
    /// relayed) is sent by the host's relay timer and applied by the host's indexer.
    /// </summary>
    [Fact(Timeout = 120_000)]
    [Covers("OutboxRelay")]
    public async Task ABatchLeftInTheOutboxIsRelayedByTheTimerAndIndexed()
    {
        fixture.AssertIndexed("OutboxRelay");
        var word = $"outboxed{Guid.NewGuid():N}"[..18];
        var product = new Product($"e2e-{word}", $"Relayed {word}", "", "Speakers", "Acme", 10, [], DateTimeOffset.UtcNow);

        await fixture.Get<CatalogChangeQueue>().RecordAsync(new CatalogChange([product], []), Ct);

        using var client = fixture.Client();
        await Eventually.GetAsync(() => Answer.SendAsync(client, HttpMethod.Get, $"search?q={word}"),
            a => a.Status == 200 && a.Json.GetProperty("total").GetInt32() == 1, TimeSpan.FromSeconds(60), $"search finds the relayed '{word}'");
    }
}
