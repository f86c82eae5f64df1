using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Serverless.Core.Transactions;
using Serverless.Functions.Http;
using Serverless.Orchestrations.Transactions;

namespace Serverless.Functions.Transactions;

/// <summary>
/// Place an order by 2PC or saga, and read its status. Function keys: placing orders and reading them is what a
/// trusted shop backend does. Fault injection is configuration only; nothing in a request can switch it on.
/// </summary>
public sealed class TransactionFunctions(
    OrderPricing pricing,
    RequestClaims claims,
    TransactionParticipants participants,
    DecisionLog decisions,
    AttentionLog attention,
    TimeProvider time,
    IOptions<TransactionOptions> options)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    private const int MaxBodyBytes = 4 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Function("StartTwoPhaseCommitTransaction")]
    public Task<IActionResult> StartTwoPhaseCommit(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "transactions/2pc")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        StartAsync(request, client, TransactionProtocol.TwoPhaseCommit, cancellationToken);

    [Function("StartSagaTransaction")]
    public Task<IActionResult> StartSaga(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "transactions/saga")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        StartAsync(request, client, TransactionProtocol.Saga, cancellationToken);

    [Function("GetTransaction")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "transactions/{id}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id,
        CancellationToken cancellationToken)
    {
        if (!TransactionStarter.IsWellFormedId(id))
        {
            return Problem.BadRequest("The transaction id is malformed: expected 'txn-' and 32 lower-case hex digits.");
        }

        var status = await new TransactionStatusReader(participants, decisions, attention).ReadAsync(client, id, cancellationToken);
        return status is null ? Problem.NotFound($"No transaction '{id}'.") : new JsonResult(status, Json);
    }

    private async Task<IActionResult> StartAsync(HttpRequest request, DurableTaskClient client, TransactionProtocol protocol, CancellationToken ct)
    {
        // Exactly one: two Idempotency-Key headers would otherwise be joined with a comma into a third key.
        var keys = request.Headers[IdempotencyKeyHeader];
        var key = keys.Count == 1 ? keys.ToString() : "";
        if (!TransactionStarter.IsWellFormedKey(key))
        {
            return Problem.BadRequest($"The {IdempotencyKeyHeader} header is required: 1-200 visible ASCII characters.");
        }

        var (body, problem) = await RequestBodies.ReadJsonBytesAsync(request, MaxBodyBytes, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (OrderDraft.Parse(body, options.Value.MaxQuantity, out var error) is not { } draft)
        {
            return Problem.BadRequest(error!);
        }

        var started = await new TransactionStarter(pricing, claims, time, options.Value).StartAsync(client, protocol, key, draft, ct);
        switch (started.Status)
        {
            case StartStatus.Invalid:
                return Problem.BadRequest(started.Error!);
            case StartStatus.KeyReused:
                return Problem.Of(StatusCodes.Status422UnprocessableEntity, "Idempotency key reused",
                    $"The {IdempotencyKeyHeader} was already used for a different order.");
            default:
                var statusUrl = $"/api/transactions/{started.InstanceId}";
                request.HttpContext.Response.Headers.Location = statusUrl;
                return new JsonResult(new { id = started.InstanceId, statusUrl, started = started.Status == StartStatus.Started }, Json)
                {
                    StatusCode = StatusCodes.Status202Accepted,
                };
        }
    }
}
