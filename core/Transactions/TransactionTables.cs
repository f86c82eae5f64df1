using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;

namespace Serverless.Core.Transactions;

/// <summary>
/// The transaction feature's tables and queue. They are created on first use rather than at start-up, so an app
/// that never places an order never touches them, and a storage blip at start does not stop the host.
/// </summary>
public sealed class TransactionTables
{
    private readonly Lock _gate = new();
    private Task? _created;

    /// <summary>Clients named after <see cref="TransactionOptions.TablePrefix"/>.</summary>
    public TransactionTables(StorageClients storage, IOptions<TransactionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(options);
        var prefix = options.Value.TablePrefix;
        Inventory = storage.Tables.GetTableClient(prefix + "inventory");
        Payments = storage.Tables.GetTableClient(prefix + "payments");
        Shipping = storage.Tables.GetTableClient(prefix + "shipping");
        Decisions = storage.Tables.GetTableClient(prefix + "decisions");
        Attention = storage.Tables.GetTableClient(prefix + "attention");
        Requests = storage.Tables.GetTableClient(prefix + "requests");
        AttentionQueue = storage.Queues.GetQueueClient(prefix + "-attention");
    }

    /// <summary>Stock per SKU and the inventory entries of each transaction.</summary>
    public TableClient Inventory { get; }

    /// <summary>Balances per account and the payment entries of each transaction.</summary>
    public TableClient Payments { get; }

    /// <summary>Shipments.</summary>
    public TableClient Shipping { get; }

    /// <summary>The 2PC decision log.</summary>
    public TableClient Decisions { get; }

    /// <summary>Transactions that need an operator.</summary>
    public TableClient Attention { get; }

    /// <summary>Idempotency-key claims of start requests.</summary>
    public TableClient Requests { get; }

    /// <summary>One message per needs-attention entry, for alerting.</summary>
    public QueueClient AttentionQueue { get; }

    /// <summary>Creates everything once per process; a failed attempt is retried by the next caller.</summary>
    public Task EnsureCreatedAsync(CancellationToken ct = default)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = CreateAsync(ct);
            }

            return _created;
        }
    }

    private async Task CreateAsync(CancellationToken ct)
    {
        await Task.WhenAll(
            Inventory.CreateIfNotExistsAsync(ct),
            Payments.CreateIfNotExistsAsync(ct),
            Shipping.CreateIfNotExistsAsync(ct),
            Decisions.CreateIfNotExistsAsync(ct),
            Attention.CreateIfNotExistsAsync(ct),
            Requests.CreateIfNotExistsAsync(ct),
            AttentionQueue.CreateIfNotExistsAsync(cancellationToken: ct));
    }
}
