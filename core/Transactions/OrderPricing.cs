namespace Serverless.Core.Transactions;

/// <summary>Checks an order against the stores before anything starts: the SKU and account must exist.</summary>
public sealed class OrderPricing(TransactionParticipants participants)
{
    /// <summary>The price in cents, or null with the reason when the SKU or account is unknown.</summary>
    public async Task<(long? Amount, string? Error)> PriceAsync(OrderDraft draft, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (await participants.Inventory.GetResourceAsync(draft.Sku, ct) is not { } stock)
        {
            return (null, $"Unknown SKU '{draft.Sku}'.");
        }

        if (await participants.Payments.GetResourceAsync(draft.Account, ct) is null)
        {
            return (null, $"Unknown account '{draft.Account}'.");
        }

        // Quantity is capped by options, but a large unit price could still overflow.
        return long.MaxValue / draft.Quantity < stock.UnitPrice
            ? (null, "The order total is too large.")
            : (stock.UnitPrice * draft.Quantity, null);
    }
}
