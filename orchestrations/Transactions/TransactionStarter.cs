using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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
/// Starts an order under an idempotency key. The instance id is derived from the key and the key is claimed with an
/// insert-only row before anything is scheduled, so requests repeating a key, even at the same moment, find the
/// one instance the first started and nothing runs twice.
/// </summary>
public sealed class TransactionStarter(OrderPricing pricing, RequestClaims claims, TimeProvider time, TransactionOptions options)
{
    private const string IdPrefix = "txn-";

    /// <summary>A claim this old without an instance belongs to a starter that died before scheduling.</summary>
    public static readonly TimeSpan TakeOverAfter = TimeSpan.FromSeconds(30);

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

    /// <summary>Schedules <paramref name="input"/> under its transaction id unless a request claimed that id before.</summary>
    public async Task<StartResult> ScheduleAsync(DurableTaskClient client, TransactionInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(input);
        var id = input.Order.TransactionId;
        var fingerprint = Fingerprint(input);
        var claim = await claims.ClaimAsync(id, fingerprint, ct);
        if (claim.Fingerprint != fingerprint)
        {
            return new StartResult(StartStatus.KeyReused, id);
        }

        if (!claim.Won)
        {
            // The holder is scheduling it (or did); only a claim that stayed without an instance for long is taken over.
            if (claim.ClaimedAt > time.GetUtcNow() - TakeOverAfter
                || await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct) is not null
                || await claims.TakeOverAsync(claim, ct) is not { } taken)
            {
                return new StartResult(StartStatus.AlreadyStarted, id);
            }

            claim = taken;
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(
                OrchestratorFor(input.Protocol), input, new StartOrchestrationOptions(id).WithDedupeStatuses(AnyStatus), ct);
            return new StartResult(StartStatus.Started, id);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct) is not null)
            {
                return new StartResult(StartStatus.AlreadyStarted, id);
            }

            // Nothing started: give the key back so the client's retry can start it.
            await claims.ReleaseAsync(claim, ct);
            throw;
        }
    }

    // The amount is derived from the price at the time, so it is not part of what the client asked for.
    internal static string Fingerprint(TransactionInput input) =>
        JsonSerializer.Serialize(new { input.Protocol, input.Order.Sku, input.Order.Quantity, input.Order.Account, input.Order.ShipTo });
}
