using System.Security.Cryptography;
using System.Text;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.Core.Transactions;

namespace Serverless.Orchestrations.Transactions;

/// <summary>How a start request went.</summary>
public enum StartStatus
{
    /// <summary>A new orchestration was scheduled.</summary>
    Started,

    /// <summary>The idempotency key already named this same order: nothing new was started.</summary>
    AlreadyStarted,

    /// <summary>The idempotency key already named a different order (or protocol).</summary>
    KeyReused,

    /// <summary>Unknown SKU or account, or an unpriceable order; nothing was started.</summary>
    Invalid,
}

/// <summary>Result of <see cref="TransactionStarter.StartAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="InstanceId">The orchestration (and transaction) id, unless <see cref="StartStatus.Invalid"/>.</param>
/// <param name="Error">Why it is invalid.</param>
public sealed record StartResult(StartStatus Status, string? InstanceId, string? Error = null);

/// <summary>
/// Starts an order under an idempotency key. The instance id is derived from the key, so a retried request
/// finds the instance the first one started and nothing runs twice, even when both arrive at once.
/// </summary>
public sealed class TransactionStarter(OrderPricing pricing, TransactionOptions options)
{
    private const string IdPrefix = "txn-";

    // Every status: a finished instance must not be restarted by a late duplicate request either.
    private static readonly OrchestrationRuntimeStatus[] AnyStatus =
    [
        OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended,
        OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated,
    ];

    /// <summary>Visible ASCII, 1–200 characters: what the <c>Idempotency-Key</c> header may hold.</summary>
    public static bool IsWellFormedKey(string? key) => key is { Length: > 0 and <= 200 } && key.All(c => c is >= '!' and <= '~');

    /// <summary>True for ids this starter hands out.</summary>
    public static bool IsWellFormedId(string? id) =>
        id is { Length: 36 } && id.StartsWith(IdPrefix, StringComparison.Ordinal) && id[IdPrefix.Length..].All(char.IsAsciiHexDigitLower);

    /// <summary>The instance id for an idempotency key (a hash: keys may hold characters ids and table keys cannot).</summary>
    public static string InstanceIdFor(string idempotencyKey) =>
        IdPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..32];

    /// <summary>The orchestrator that runs <paramref name="protocol"/>.</summary>
    public static string OrchestratorFor(TransactionProtocol protocol) =>
        protocol == TransactionProtocol.Saga ? nameof(OrderSagaOrchestrator) : nameof(TwoPhaseCommitOrchestrator);

    /// <summary>Prices the order and starts it, or finds the instance the key started before.</summary>
    public async Task<StartResult> StartAsync(
        DurableTaskClient client, TransactionProtocol protocol, string idempotencyKey, OrderDraft draft, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var id = InstanceIdFor(idempotencyKey);
        var (amount, error) = await pricing.PriceAsync(draft, ct);
        return error is not null
            ? new StartResult(StartStatus.Invalid, null, error)
            : await ScheduleAsync(client, TransactionInput.From(draft.ToOrder(id, amount!.Value), protocol, options), ct);
    }

    /// <summary>Schedules <paramref name="input"/> under its transaction id unless that instance exists.</summary>
    public static async Task<StartResult> ScheduleAsync(DurableTaskClient client, TransactionInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(input);
        if (await ExistingAsync(client, input, ct) is { } existing)
        {
            return existing;
        }

        var id = input.Order.TransactionId;
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(
                OrchestratorFor(input.Protocol), input, new StartOrchestrationOptions(id).WithDedupeStatuses(AnyStatus), ct);
            return new StartResult(StartStatus.Started, id);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Two requests with one key raced and this one lost: it joins the winner's instance.
            return await ExistingAsync(client, input, ct) ?? throw new InvalidOperationException($"Could not start {id}.", ex);
        }
    }

    private static async Task<StartResult?> ExistingAsync(DurableTaskClient client, TransactionInput input, CancellationToken ct)
    {
        var instance = await client.GetInstanceAsync(input.Order.TransactionId, getInputsAndOutputs: true, ct);
        if (instance is null)
        {
            return null;
        }

        var earlier = instance.ReadInputAs<TransactionInput>();
        var same = earlier is not null && earlier.Protocol == input.Protocol
            && earlier.Order with { Amount = 0 } == input.Order with { Amount = 0 };
        return new StartResult(same ? StartStatus.AlreadyStarted : StartStatus.KeyReused, instance.InstanceId);
    }
}
