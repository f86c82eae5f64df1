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

    [Function("AddToCounter")]
    public static async Task<IActionResult> Add(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "counters/{name}/add")] HttpRequest request,
        string name, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (CounterNames.Check(name) is { } badName)
        {
            return Problem.BadRequest(badName);
        }

        var amount = await ReadAmountAsync(request, cancellationToken);
        if (amount is not { } value)
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

    private static async Task<long?> ReadAmountAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("amount", out var amount)
                && amount.ValueKind == JsonValueKind.Number
                && amount.TryGetInt64(out var value)
                && value != 0 && Math.Abs(value) <= MaxAmount
                ? value
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
