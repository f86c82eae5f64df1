namespace Serverless.Core.Transactions;

/// <summary>
/// One order as every participant sees it. The transaction id is the orchestration instance id, and it is the
/// idempotency key of every participant operation: a repeated call for the same id never applies twice.
/// </summary>
/// <param name="TransactionId">Orchestration instance id; the row key of each participant's entry.</param>
/// <param name="Sku">Product whose stock is taken (Inventory partition).</param>
/// <param name="Quantity">Units ordered, at least 1.</param>
/// <param name="Account">Account charged (Payments partition) and shipped to (Shipping partition).</param>
/// <param name="Amount">Price in minor currency units (cents): unit price times quantity when the order was accepted.</param>
/// <param name="ShipTo">Delivery address recorded on the shipment.</param>
public sealed record TransactionOrder(string TransactionId, string Sku, int Quantity, string Account, long Amount, string ShipTo);

/// <summary>The three stores an order touches.</summary>
public enum ParticipantName
{
    /// <summary>Stock per SKU.</summary>
    Inventory,

    /// <summary>Account balances.</summary>
    Payments,

    /// <summary>Shipments.</summary>
    Shipping,
}

/// <summary>Where a participant's entry for one transaction stands.</summary>
public enum ParticipantState
{
    /// <summary>No entry (never reached this participant).</summary>
    None,

    /// <summary>2PC: resources reserved and a Yes vote recorded; waiting for the decision.</summary>
    Prepared,

    /// <summary>Applied for good: 2PC commit, or a saga step that ran.</summary>
    Committed,

    /// <summary>2PC abort: the reservation was released, or a tombstone written before any prepare landed.</summary>
    Aborted,

    /// <summary>Refused (No vote / step refused), e.g. not enough stock or money; nothing was taken.</summary>
    Refused,

    /// <summary>Saga compensation: the step was undone, or a tombstone written before the step landed.</summary>
    Compensated,
}

/// <summary>A participant's 2PC vote.</summary>
public enum Vote
{
    /// <summary>Prepared: the participant can commit and will not change its mind.</summary>
    Yes,

    /// <summary>Cannot commit; the transaction has to abort.</summary>
    No,
}

/// <summary>The coordinator's decision for a 2PC transaction.</summary>
public enum Decision
{
    /// <summary>Every participant voted Yes in time.</summary>
    Commit,

    /// <summary>A No vote, a failed or late prepare, or a recovery that found no decision (presumed abort).</summary>
    Abort,
}

/// <summary>The outcome of a saga step at one participant.</summary>
public enum StepResult
{
    /// <summary>The step's effect is in the store.</summary>
    Applied,

    /// <summary>The participant refused (insufficient stock or funds, or the saga compensated it already).</summary>
    Refused,
}
