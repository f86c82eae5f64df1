using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Serverless.Core.Dispatch;
using Serverless.Core.Dispatch.Hashing;
using Serverless.Functions.Http;

namespace Serverless.Functions.Dispatch;

/// <summary>HTTP mapping for dispatch: bodies, pool views and forward results.</summary>
internal static class DispatchHttp
{
    public static IActionResult UnknownPool(string pool) => Problem.NotFound($"No dispatch pool named '{pool}'.");

    public static IActionResult PoolResult(PoolView view, int status) => new JsonResult(new
    {
        pool = view.Name,
        policy = view.Definition.Policy.Name(),
        probePath = view.Definition.ProbePath,
        passSetCookie = view.Definition.PassSetCookie,
        hashing = view.Definition.Hashing is { } hashing
            ? new { key = hashing.Key.Describe(), balanceFactor = hashing.BalanceFactor, tableSize = view.Definition.Policy == DispatchPolicy.Maglev ? hashing.TableSize : (int?)null }
            : null,
        targets = view.Definition.Targets.Zip(view.Targets, (target, state) => new
        {
            id = target.Id,
            url = target.Kind == TargetKind.Http ? target.Address : null,
            queue = target.Kind == TargetKind.Queue ? target.Address : null,
            weight = state.Weight,
            effectiveWeight = state.EffectiveWeight,
            inFlight = state.InFlight,
            latencyEwmaMs = state.LatencyMs,
            consecutiveFailures = state.ConsecutiveFailures,
            ejections = state.Ejections,
            ejectedUntil = state.EjectedUntil,
            slowStartUntil = state.SlowStartUntil,
        }),
    })
    { StatusCode = status };

    public static IActionResult ForwardResult(HttpRequest request, string pool, ForwardResult result)
    {
        if (TargetHeader(result) is { } target)
        {
            request.HttpContext.Response.Headers[ForwardHeaders.TargetHeader] = target;
        }

        if (result.Route is { } route && request.Headers[HashRoute.DebugHeader].Contains("hash", StringComparer.OrdinalIgnoreCase))
        {
            request.HttpContext.Response.Headers[HashRoute.KeyHashHeader] = KeyHash.Format(route.KeyHash);
        }

        switch (result.Status)
        {
            case ForwardStatus.MissingKey:
                return Problem.BadRequest(result.Detail ?? "The pool needs a hash key.");
            case ForwardStatus.Relayed:
                return new RelayedResponse(result);
            case ForwardStatus.PoolNotFound:
                return UnknownPool(pool);
            case ForwardStatus.Unavailable:
                var seconds = Math.Max(1, (int)Math.Ceiling((result.RetryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds));
                request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return Problem.Of(StatusCodes.Status503ServiceUnavailable, "No target available", result.Detail, new Dictionary<string, object?> { ["retryAfterSeconds"] = seconds });
            case ForwardStatus.TimedOut:
                return Problem.Of(StatusCodes.Status504GatewayTimeout, "Gateway timeout", result.Detail, Attempts(result));
            default:
                return Problem.Of(StatusCodes.Status502BadGateway, "Bad gateway", result.Detail, Attempts(result));
        }
    }

    /// <summary>The target, and for the hashing policies why it was chosen: <c>t3; reason=bounded-load-spill</c>.</summary>
    public static string? TargetHeader(ForwardResult result) =>
        result.TargetId is not { } target ? null : result.Route is { } route ? $"{target}; reason={route.Reason}" : target;

    private static Dictionary<string, object?> Attempts(ForwardResult result) => new() { ["target"] = result.TargetId, ["attempts"] = result.Attempts };
}
