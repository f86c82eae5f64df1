namespace Serverless.Core.Transactions;

/// <summary>A participant's record of one transaction, as read from its table.</summary>
/// <param name="Participant">Which store holds it.</param>
/// <param name="Partition">SKU for Inventory, account for Payments and Shipping.</param>
/// <param name="TransactionId">The transaction (orchestration instance) id.</param>
/// <param name="State">Where it stands.</param>
/// <param name="Amount">Units or cents taken while <see cref="ParticipantState.Prepared"/> or <see cref="ParticipantState.Committed"/>.</param>
/// <param name="UpdatedAt">When the state last changed.</param>
/// <param name="Detail">Shipping: the address; otherwise empty.</param>
public sealed record ParticipantEntry(
    ParticipantName Participant, string Partition, string TransactionId, ParticipantState State, long Amount, DateTimeOffset UpdatedAt, string? Detail)
{
    /// <summary>True when the entry's amount is taken from the resource (stock or balance).</summary>
    public bool Holds => State is ParticipantState.Prepared or ParticipantState.Committed;
}

/// <summary>A participant's resource row: stock of a SKU, or balance of an account.</summary>
/// <param name="Participant">Inventory or Payments.</param>
/// <param name="Partition">The SKU or account.</param>
/// <param name="Available">Units or cents not held by any transaction.</param>
/// <param name="Provisioned">Everything ever put in; with the held entries it must add up to this.</param>
/// <param name="UnitPrice">Inventory: price of one unit in cents; Payments: 0.</param>
public sealed record ResourceBalance(ParticipantName Participant, string Partition, long Available, long Provisioned, long UnitPrice);
