using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Serverless.Core.Records;
using Serverless.Functions.Http;

namespace Serverless.Functions.Records;

/// <summary>Record requests and responses: names, <c>If-Match</c>, bodies, and the ETag / X-Cache / version headers.</summary>
internal static class RecordHttp
{
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>A 404 for an unknown collection, a 400 for a key no record can have, else null.</summary>
    public static IActionResult? CheckNames(RecordStore store, string collection, string key) =>
        store.Collection(collection) is null ? Problem.NotFound("No such record collection is configured.")
        : !RecordNames.IsValidKey(key) ? Problem.BadRequest("A record key is 1-200 characters of A-Z, a-z, 0-9, '.', '_', '~' or '-'.")
        : null;

    /// <summary><c>If-Match</c> as a precondition: absent, <c>*</c>, or one strong version tag such as <c>"3"</c>.</summary>
    public static bool TryPrecondition(HttpRequest request, out RecordPrecondition precondition)
    {
        precondition = RecordPrecondition.None;
        var values = request.Headers.IfMatch;
        if (values.Count == 0)
        {
            return true;
        }

        var text = values.Count == 1 ? values[0]?.Trim() : null;
        if (text == "*")
        {
            precondition = new RecordPrecondition(true, null);
            return true;
        }

        if (text is { Length: >= 3 } && text[0] == '"' && text[^1] == '"' && text[1..^1].All(char.IsAsciiDigit)
            && long.TryParse(text[1..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version < long.MaxValue)
        {
            precondition = new RecordPrecondition(true, version);
            return true;
        }

        return false;
    }

    public static ObjectResult BadPrecondition() => Problem.BadRequest("If-Match must be * or one record version tag such as \"3\".");

    /// <summary>The body as normalised JSON bytes if it is a JSON object of at most 64 KiB, else a 400/413 problem.</summary>
    public static async Task<(byte[] Body, IActionResult? Problem)> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        var (json, problem) = await RequestBodies.ReadJsonAsync(request, MaxBodyBytes, ct);
        if (problem is not null)
        {
            return ([], problem);
        }

        if (json!.Value.ValueKind != JsonValueKind.Object)
        {
            return ([], Problem.BadRequest("A record is a JSON object."));
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(json.Value);
        return bytes.Length > MaxBodyBytes ? ([], Problem.PayloadTooLarge(MaxBodyBytes)) : (bytes, null);
    }

    public static IActionResult Read(HttpRequest request, RecordResult result)
    {
        SetHeaders(request, result);
        return result.Status == RecordStatus.Ok
            ? new ContentResult { Content = System.Text.Encoding.UTF8.GetString(result.Data.Span), ContentType = "application/json", StatusCode = 200 }
            : Failure(result);
    }

    public static IActionResult Written(HttpRequest request, RecordResult result, bool deleted)
    {
        if (result.Status is not (RecordStatus.Ok or RecordStatus.Created))
        {
            return Failure(result);
        }

        SetHeaders(request, result);
        return deleted
            ? new NoContentResult()
            : new JsonResult(new { version = result.Version }) { StatusCode = result.Status == RecordStatus.Created ? 201 : 200 };
    }

    private static void SetHeaders(HttpRequest request, RecordResult result)
    {
        var headers = request.HttpContext.Response.Headers;
        headers["X-Cache"] = result.Layer switch { CacheLayer.L1 => "hit-l1", CacheLayer.L2 => "hit-l2", _ => "miss" };
        if (result.Status is RecordStatus.Ok or RecordStatus.Created)
        {
            headers.ETag = $"\"{result.Version.ToString(CultureInfo.InvariantCulture)}\"";
            headers["X-Record-Version"] = result.Version.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static IActionResult Failure(RecordResult result) => result.Status switch
    {
        RecordStatus.NotFound => Problem.NotFound("No such record."),
        RecordStatus.UnknownCollection => Problem.NotFound("No such record collection is configured."),
        RecordStatus.PreconditionFailed => Problem.Of(StatusCodes.Status412PreconditionFailed, "Precondition failed",
            "The record is not at the version in If-Match.", new Dictionary<string, object?> { ["currentVersion"] = result.Version }),
        _ => throw new ArgumentOutOfRangeException(nameof(result), result.Status, null),
    };
}
