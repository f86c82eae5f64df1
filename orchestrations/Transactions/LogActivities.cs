using Microsoft.DurableTask;
using Serverless.Core.Transactions;

namespace Serverless.Orchestrations.Transactions;

/// <summary>Records the 2PC decision (first writer wins) and returns the decision in force.</summary>
public sealed class RecordDecisionActivity(DecisionLog decisions) : TaskActivity<DecisionRequest, Decision>
{
    /// <inheritdoc />
    public override Task<Decision> RunAsync(TaskActivityContext context, DecisionRequest input) => ExecuteAsync(input);

    /// <summary>The activity body, callable without a durable context (Functions wrapper, tests).</summary>
    public Task<Decision> ExecuteAsync(DecisionRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return decisions.RecordAsync(input.TransactionId, input.Proposed, "coordinator");
    }
}

/// <summary>Writes a needs-attention record and its queue message.</summary>
public sealed class RecordNeedsAttentionActivity(AttentionLog attention) : TaskActivity<AttentionRequest, bool>
{
    /// <inheritdoc />
    public override Task<bool> RunAsync(TaskActivityContext context, AttentionRequest input) => ExecuteAsync(input);

    /// <summary>The activity body, callable without a durable context (Functions wrapper, tests).</summary>
    public async Task<bool> ExecuteAsync(AttentionRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await attention.RecordAsync(input.TransactionId, input.Participant, input.Operation, input.Reason);
        return true;
    }
}
