using Microsoft.Extensions.Hosting;
using Serverless.Core.Search.Index;
using Serverless.Core.Sessions;
using Serverless.Core.Transactions;
using Serverless.Testing;

namespace Serverless.Tests.Fuzz;

/// <summary>An app instance (see <see cref="TestApp"/>) with its own search catalog and one live session to aim at.</summary>
internal sealed class FuzzApp(IHost host, string prefix, string sessionId) : TestApp(host, prefix)
{
    public const string OrderSku = "fuzz-sku";

    public const string OrderAccount = "fuzz-account";

    public string SessionId { get; } = sessionId;

    /// <summary>Where accepted durable input goes: nowhere for the fuzzer; a real backend's client for the OpenAPI example run.</summary>
    public Microsoft.DurableTask.Client.DurableTaskClient Durable { get; set; } = new UnreachableDurableClient();

    /// <summary>Starts an instance; <paramref name="settings"/> adds app settings (the OpenAPI example run allows its pool's hosts).</summary>
    public static async Task<FuzzApp> StartAsync(ServicesFixture services, CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var prefix = NewPrefix();
        var id = Guid.NewGuid().ToString("N")[..12];
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Search:CatalogTable"] = $"fuzzcatalog{id}",
            ["Search:ChangeQueue"] = $"fuzz-changes-{id}",
            ["Search:SnapshotContainer"] = $"fuzz-index-{id}",
            ["Records:Table"] = $"fuzzrecords{id}",
            ["Records:Collections:fuzz:Policy"] = "write-behind",
            // Its own jobs table and queue: the dead-job examples replay and purge every dead job of the app.
            ["Jobs:Table"] = $"fuzzjobs{id}",
            ["Jobs:Queue"] = $"fuzz-jobs-{id}",
        };
        var host = await StartHostAsync(services, prefix, all);
        try
        {
            var index = (SearchIndex)host.Services.GetService(typeof(SearchIndex))!;
            await index.Ready.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            // The order the transaction drivers send: known stock and account, so a valid order gets past pricing.
            var participants = (TransactionParticipants)host.Services.GetService(typeof(TransactionParticipants))!;
            await participants.Inventory.ProvisionAsync(OrderSku, 1_000_000, unitPrice: 250, ct: cancellationToken);
            await participants.Payments.ProvisionAsync(OrderAccount, 1_000_000_000, ct: cancellationToken);
            var store = (RedisSessionStore)host.Services.GetService(typeof(RedisSessionStore))!;
            var session = (await store.CreateAsync("fuzz-user")).Session!;
            return new FuzzApp(host, prefix, session.Id);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
