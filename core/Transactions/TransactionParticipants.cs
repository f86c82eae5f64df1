namespace Serverless.Core.Transactions;

/// <summary>The three participants, in saga order (ReserveStock → ChargePayment → CreateShipment).</summary>
public sealed class TransactionParticipants
{
    /// <summary>Builds the participants over their tables.</summary>
    public TransactionParticipants(TransactionTables tables, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(tables);
        Inventory = new TransactionParticipant(new Ledger(ParticipantName.Inventory, tables.Inventory, time, hasResource: true), tables,
            o => o.Sku, o => o.Quantity, _ => null) { HasResource = true };
        Payments = new TransactionParticipant(new Ledger(ParticipantName.Payments, tables.Payments, time, hasResource: true), tables,
            o => o.Account, o => o.Amount, _ => null) { HasResource = true };
        Shipping = new TransactionParticipant(new Ledger(ParticipantName.Shipping, tables.Shipping, time, hasResource: false), tables,
            o => o.Account, o => o.Quantity, o => $"{o.Quantity} x {o.Sku} to {o.ShipTo}");
        All = [Inventory, Payments, Shipping];
    }

    /// <summary>Stock per SKU.</summary>
    public TransactionParticipant Inventory { get; }

    /// <summary>Account balances.</summary>
    public TransactionParticipant Payments { get; }

    /// <summary>Shipments.</summary>
    public TransactionParticipant Shipping { get; }

    /// <summary>All three, in saga order.</summary>
    public IReadOnlyList<TransactionParticipant> All { get; }

    /// <summary>The participant called <paramref name="name"/>.</summary>
    public TransactionParticipant this[ParticipantName name] => name switch
    {
        ParticipantName.Inventory => Inventory,
        ParticipantName.Payments => Payments,
        ParticipantName.Shipping => Shipping,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
