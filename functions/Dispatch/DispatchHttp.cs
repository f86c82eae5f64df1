using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Serverless.Core.Dispatch;
using Serverless.Functions.Http;

namespace Serverless.Functions.Dispatch;

/// <summary>HTTP mapping for dispatch: bodies, pool views and forward results.</summary>
internal static class DispatchHttp
{
    public static IActionResult UnknownPool(string pool) => Problem.NotFound($"No dispatch pool named '{pool}'.");

    /// <summary>The raw body up to <paramref name="maxBytes"/>, or a 413 problem.</summary>
    public static async Task<(byte[] Body, IActionResult? Problem)> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return ([], TooLarge(maxBytes));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                return ([], TooLarge(maxBytes));
            }
        }

        return (buffer.ToArray(), null);
    }

    /// <summary>A JSON body, or a 400/413 problem.</summary>
    public static async Task<(JsonElement? Body, IActionResult? Problem)> ReadJsonAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        var (bytes, problem) = await ReadBodyAsync(request, maxBytes, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException ex)
        {
            return (null, Problem.BadRequest($"The body is not valid JSON: {ex.Message}"));
        }
    }

    public static IActionResult PoolResult(PoolView view, int status) => new JsonResult(new
    {
        pool = view.Name,
        policy = view.Definition.Policy.Name(),
        probePath = view.Definition.ProbePath,
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
        if (result.TargetId is { } target)
        {
            request.HttpContext.Response.Headers[ForwardHeaders.TargetHeader] = target;
        }

        switch (result.Status)
        {
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

    private static Dictionary<string, object?> Attempts(ForwardResult result) => new() { ["target"] = result.TargetId, ["attempts"] = result.Attempts };

    private static ObjectResult TooLarge(int maxBytes) =>
        Problem.Of(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body is limited to {maxBytes} bytes.");
}
