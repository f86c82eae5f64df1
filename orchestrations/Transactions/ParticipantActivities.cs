using Microsoft.DurableTask;
using Serverless.Core.Transactions;

namespace Serverless.Orchestrations.Transactions;

/// <summary>
/// Runs one participant operation between the configured fault hooks. Every activity here is idempotent by
/// transaction id, so the at-least-once delivery of Durable Functions (a retry, a replayed work item after a
/// crash) can never apply an operation twice.
/// </summary>
internal static class ParticipantOperation
{
    public static async Task<T> RunAsync<T>(
        FaultInjector faults, ParticipantCall call, string operation, Func<TransactionOrder, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(call);
        await faults.BeforeAsync(call.Participant, operation, call.Order);
        var result = await work(call.Order);
        faults.After(call.Participant, operation, call.Order);
        return result;
    }
}

/// <summary>2PC phase 1 at one participant: reserve and vote.</summary>
public sealed class ParticipantPrepareActivity(TransactionParticipants participants, FaultInjector faults) : TaskActivity<ParticipantCall, Vote>
{
    /// <inheritdoc />
    public override Task<Vote> RunAsync(TaskActivityContext context, ParticipantCall input) => ExecuteAsync(input);

    /// <summary>The activity body, callable without a durable context (Functions wrapper, tests).</summary>
    public Task<Vote> ExecuteAsync(ParticipantCall input) =>
        ParticipantOperation.RunAsync(faults, input, "Prepare", o => participants[input.Participant].PrepareAsync(o));
}

/// <summary>2PC phase 2 at one participant: commit the reservation.</summary>
public sealed class ParticipantCommitActivity(TransactionParticipants participants, FaultInjector faults) : TaskActivity<ParticipantCall, ParticipantState>
{
    /// <inheritdoc />
    public override Task<ParticipantState> RunAsync(TaskActivityContext context, ParticipantCall input) => ExecuteAsync(input);

    /// <summary>The activity body, callable without a durable context (Functions wrapper, tests).</summary>
    public Task<ParticipantState> ExecuteAsync(ParticipantCall input) =>
        ParticipantOperation.RunAsync(faults, input, "Commit", o => participants[input.Participant].CommitAsync(o));
}

/// <summary>2PC phase 2 at one participant: release the reservation (or leave a tombstone).</summary>
public sealed class ParticipantAbortActivity(TransactionParticipants participants, FaultInjector faults) : TaskActivity<ParticipantCall, ParticipantState>
{
    /// <inheritdoc />
    public override Task<ParticipantState> RunAsync(TaskActivityContext context, ParticipantCall input) => ExecuteAsync(input);

    /// <summary>The activity body, callable without a durable context (Functions wrapper, tests).</summary>
    public Task<ParticipantState> ExecuteAsync(ParticipantCall input) =>
        ParticipantOperation.RunAsync(faults, input, "Abort", o => participants[input.Participant].AbortAsync(o));
}

/// <summary>Saga step at one participant: ReserveStock, ChargePayment or CreateShipment.</summary>
public sealed class SagaStepActivity(TransactionParticipants participants, FaultInjector faults) : TaskActivity<ParticipantCall, StepResult>
{
    /// <inheritdoc />
    public override Task<StepResult> RunAsync(TaskActivityContext context, ParticipantCall input) => ExecuteAsync(input);

    /// <summary>The activity body, callable without a durable context (Functions wrapper, tests).</summary>
    public Task<StepResult> ExecuteAsync(ParticipantCall input) =>
        ParticipantOperation.RunAsync(faults, input, "Apply", o => participants[input.Participant].ApplyAsync(o));
}

/// <summary>Saga compensation at one participant: ReleaseStock, RefundPayment or CancelShipment.</summary>
public sealed class SagaCompensationActivity(TransactionParticipants participants, FaultInjector faults) : TaskActivity<ParticipantCall, ParticipantState>
{
    /// <inheritdoc />
    public override Task<ParticipantState> RunAsync(TaskActivityContext context, ParticipantCall input) => ExecuteAsync(input);

    /// <summary>The activity body, callable without a durable context (Functions wrapper, tests).</summary>
    public Task<ParticipantState> ExecuteAsync(ParticipantCall input) =>
        ParticipantOperation.RunAsync(faults, input, "Compensate", o => participants[input.Participant].CompensateAsync(o));
}
