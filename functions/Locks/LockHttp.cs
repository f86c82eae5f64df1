using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Serverless.Core.Locking;
using Serverless.Functions.Http;

namespace Serverless.Functions.Locks;

/// <summary>Body of the lock actions: <c>{"owner", "leaseMs", "waitMs", "token"}</c> (which ones depends on the action).</summary>
internal sealed record LockBody(string? Owner, long? LeaseMs, long? WaitMs, long? Token);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(LockBody))]
internal sealed partial class LockJson : JsonSerializerContext;

/// <summary>HTTP mapping for locks: reading the body and turning lock results into responses.</summary>
internal static class LockHttp
{
    private const int MaxBodyBytes = 4096;

    public static Task<(LockBody? Body, IActionResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken) =>
        RequestBodies.ReadJsonAsync(request, MaxBodyBytes, LockJson.Default.LockBody,
            "Expected a JSON object {\"owner\": string, \"leaseMs\": integer, \"waitMs\": integer?, \"token\": integer}.", cancellationToken);

    /// <summary>Null when the body has what <paramref name="action"/> needs within the limits, else the 400 to answer.</summary>
    public static IActionResult? Check(string action, LockBody body, LockingOptions options)
    {
        if (LockRules.CheckOwner(body.Owner) is { } owner)
        {
            return Problem.BadRequest(owner);
        }

        if (action != "acquire" && body.Token is not > 0)
        {
            return Problem.BadRequest("token (a positive integer, the fencing token of the grant) is required.");
        }

        if (action != "release")
        {
            if (body.LeaseMs is not { } lease)
            {
                return Problem.BadRequest("leaseMs is required.");
            }

            if (LockRules.CheckLeaseMs(lease, options.MaxLease) is { } leaseProblem)
            {
                return Problem.BadRequest(leaseProblem);
            }
        }

        return action == "acquire" && LockRules.CheckWaitMs(body.WaitMs ?? 0, options.MaxWait) is { } waitProblem
            ? Problem.BadRequest(waitProblem)
            : null;
    }

    public static IActionResult Answer(LockResult result) => result.Outcome switch
    {
        LockOutcome.Granted or LockOutcome.Released or LockOutcome.Extended => new JsonResult(result),
        LockOutcome.Busy => Problem.Conflict("The lock is held by another owner."),
        LockOutcome.Queued => Problem.Of(StatusCodes.Status409Conflict, "Conflict", "The owner is still waiting in line for the lock.",
            new Dictionary<string, object?> { ["position"] = result.Position }),
        LockOutcome.NotHolder => Problem.Conflict("The owner does not hold the lock with this token (wrong owner or token, or the lease expired)."),
        _ => throw new ArgumentOutOfRangeException(nameof(result), result.Outcome, null),
    };

    public static IActionResult Unavailable(TimeoutException ex)
    {
        var result = Problem.Of(StatusCodes.Status503ServiceUnavailable, "Service unavailable", ex.Message);
        return new RetryAfterResult(result, seconds: 5);
    }

    /// <summary>Adds <c>Retry-After</c> to a problem response.</summary>
    private sealed class RetryAfterResult(ObjectResult inner, int seconds) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context)
        {
            context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteResultAsync(context);
        }
    }
}
