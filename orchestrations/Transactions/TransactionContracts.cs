using Serverless.Core.Transactions;

namespace Serverless.Orchestrations.Transactions;

/// <summary>Which protocol runs an order.</summary>
public enum TransactionProtocol
{
    /// <summary>Two-phase commit: reserve everywhere, decide, then commit or abort everywhere.</summary>
    TwoPhaseCommit,

    /// <summary>Saga: apply step by step; compensate the applied steps in reverse on failure.</summary>
    Saga,
}

/// <summary>
/// Orchestration input. Timeouts and retry settings travel with it (copied from options at start) so a replay
/// decides exactly as the first run did, whatever the configuration is later.
/// </summary>
/// <param name="Order">The priced order; its transaction id is the instance id.</param>
/// <param name="Protocol">Which orchestrator runs it.</param>
/// <param name="Timeout">2PC: for all votes; saga: per step.</param>
/// <param name="RetryAttempts">Attempts per activity call.</param>
/// <param name="RetryFirstInterval">First retry delay; doubles per attempt.</param>
/// <param name="DeliveryRounds">2PC: retry-policy rounds for delivering the decision before escalating.</param>
public sealed record TransactionInput(
    TransactionOrder Order, TransactionProtocol Protocol, TimeSpan Timeout, int RetryAttempts, TimeSpan RetryFirstInterval, int DeliveryRounds)
{
    /// <summary>The input for <paramref name="order"/> under the current options.</summary>
    public static TransactionInput From(TransactionOrder order, TransactionProtocol protocol, TransactionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(order, protocol, protocol == TransactionProtocol.Saga ? options.StepTimeout : options.PrepareTimeout,
            options.RetryAttempts, options.RetryFirstInterval, options.DeliveryRounds);
    }
}

/// <summary>Activity input: one participant, one order.</summary>
/// <param name="Participant">Which participant.</param>
/// <param name="Order">The order.</param>
public sealed record ParticipantCall(ParticipantName Participant, TransactionOrder Order);

/// <summary>Activity input: the coordinator's proposed decision.</summary>
/// <param name="TransactionId">The transaction.</param>
/// <param name="Proposed">Commit when all voted Yes in time, else Abort.</param>
public sealed record DecisionRequest(string TransactionId, Decision Proposed);

/// <summary>Activity input: something that needs an operator.</summary>
/// <param name="TransactionId">The transaction.</param>
/// <param name="Participant">Where.</param>
/// <param name="Operation">What kept failing.</param>
/// <param name="Reason">The last error.</param>
public sealed record AttentionRequest(string TransactionId, ParticipantName Participant, string Operation, string Reason);

/// <summary>How an order ended.</summary>
public enum TransactionResult
{
    /// <summary>Applied at every participant.</summary>
    Applied,

    /// <summary>Applied nowhere: aborted (2PC) or compensated (saga).</summary>
    RolledBack,

    /// <summary>An operation kept failing; a needs-attention record and queue message were written.</summary>
    NeedsAttention,
}

/// <summary>One protocol step at one participant, as the orchestrator saw it.</summary>
/// <param name="Participant">Where.</param>
/// <param name="Operation">Prepare, Commit, Abort, Apply or Compensate.</param>
/// <param name="Result">What came back, e.g. <c>Yes</c>, <c>Committed</c>, <c>timed out</c>, <c>failed: …</c>.</param>
public sealed record StepRecord(ParticipantName Participant, string Operation, string Result);

/// <summary>Orchestration output.</summary>
/// <param name="Result">How it ended.</param>
/// <param name="Reason">Why, in words.</param>
/// <param name="Decision">2PC: the recorded decision; saga: null.</param>
/// <param name="Steps">Every step in the order it finished.</param>
public sealed record TransactionOutcome(TransactionResult Result, string Reason, Decision? Decision, IReadOnlyList<StepRecord> Steps);

/// <summary>Custom status values: the phase an orchestration is in (tests crash the worker on them).</summary>
public static class TransactionPhase
{
    /// <summary>2PC: prepares sent, waiting for votes.</summary>
    public const string Preparing = "Preparing";

    /// <summary>2PC: votes in, recording the decision.</summary>
    public const string Deciding = "Deciding";

    /// <summary>2PC: delivering Commit.</summary>
    public const string Committing = "Committing";

    /// <summary>2PC: delivering Abort.</summary>
    public const string Aborting = "Aborting";

    /// <summary>Saga: running a step (the custom status is <c>Applying:{participant}</c>).</summary>
    public const string Applying = "Applying";

    /// <summary>Saga: undoing applied steps.</summary>
    public const string Compensating = "Compensating";

    /// <summary>Finished.</summary>
    public const string Done = "Done";
}
