using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Serverless.Functions.Http;
using Serverless.Orchestrations.Counters;

namespace Serverless.Functions.Counters;

/// <summary>Counters over HTTP: adds are signals (202, applied in order by the entity); reads return the stored value.</summary>
public static class CounterFunctions
{
    private const long MaxAmount = 1_000_000_000;
    private const int MaxBodyBytes = 1024;

    [Function("AddToCounter")]
    public static async Task<IActionResult> Add(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "counters/{name}/add")] HttpRequest request,
        string name, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (CounterNames.Check(name) is { } badName)
        {
            return Problem.BadRequest(badName);
        }

        var (body, problem) = await RequestBodies.ReadJsonAsync(request, MaxBodyBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (AmountOf(body!.Value) is not { } value)
        {
            return Problem.BadRequest($"Expected {{\"amount\": integer}} with 1 <= |amount| <= {MaxAmount}.");
        }

        await client.Entities.SignalEntityAsync(CounterEntity.IdFor(name), nameof(CounterEntity.Add), value, cancellation: cancellationToken);
        return new AcceptedResult((string?)null, new { name, amount = value });
    }

    [Function("GetCounter")]
    public static async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "counters/{name}")] HttpRequest request,
        string name, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (CounterNames.Check(name) is { } badName)
        {
            return Problem.BadRequest(badName);
        }

        var entity = await client.Entities.GetEntityAsync<long>(CounterEntity.IdFor(name), includeState: true, cancellationToken);
        return entity is null ? Problem.NotFound($"No counter '{name}' (nothing was ever added to it).") : new JsonResult(new { name, value = entity.State });
    }

    // A range, not Math.Abs: Math.Abs(long.MinValue) throws.
    private static long? AmountOf(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object
        && body.TryGetProperty("amount", out var amount)
        && amount.ValueKind == JsonValueKind.Number
        && amount.TryGetInt64(out var value)
        && value is not 0 and >= -MaxAmount and <= MaxAmount
            ? value
            : null;
}
