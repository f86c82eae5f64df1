using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Serverless.Core.Json;

namespace Serverless.Functions.Http;

/// <summary>
/// Reads request bodies with a size cap, answering 413/400 problems instead of throwing. Every JSON body of the app is
/// read here, so decoding is checked in one place.
/// </summary>
internal static class RequestBodies
{
    /// <summary>The raw body up to <paramref name="maxBytes"/>, or a 413 problem (checked while reading, not only by Content-Length).</summary>
    public static async Task<(byte[] Body, IActionResult? Problem)> ReadBytesAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return ([], Problem.PayloadTooLarge(maxBytes));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                return ([], Problem.PayloadTooLarge(maxBytes));
            }
        }

        return (buffer.ToArray(), null);
    }

    /// <summary>A JSON body, or a 400/413 problem. An empty body is <paramref name="whenEmpty"/> if given, else a 400.</summary>
    public static async Task<(JsonElement? Body, IActionResult? Problem)> ReadJsonAsync(
        HttpRequest request, int maxBytes, CancellationToken cancellationToken, string? whenEmpty = null)
    {
        var (bytes, problem) = await ReadBytesAsync(request, maxBytes, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        if (bytes.Length == 0 && whenEmpty is not null)
        {
            bytes = System.Text.Encoding.UTF8.GetBytes(whenEmpty);
        }

        // JsonDocument checks structure but not text: invalid UTF-8 inside a string, or an escaped lone surrogate
        // ("\ud800"), only throws later, in GetString or the serializer (InvalidOperationException, a 500).
        if (!Utf8.IsValid(bytes))
        {
            return (null, Problem.BadRequest("The body is not valid UTF-8."));
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement.Clone();
            return JsonText.HasUndecodableText(root)
                ? (null, Problem.BadRequest("The body holds a string that is not valid Unicode (a lone surrogate)."))
                : (root, null);
        }
        catch (JsonException ex)
        {
            return (null, Problem.BadRequest($"The body is not valid JSON: {ex.Message}"));
        }
    }

    /// <summary>A JSON body deserialized as <typeparamref name="T"/>, or a 400/413 problem (null and wrong types are 400 with <paramref name="expected"/>).</summary>
    public static async Task<(T? Body, IActionResult? Problem)> ReadJsonAsync<T>(
        HttpRequest request, int maxBytes, JsonTypeInfo<T> type, string expected, CancellationToken cancellationToken)
        where T : class
    {
        var (json, problem) = await ReadJsonAsync(request, maxBytes, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        try
        {
            return json!.Value.Deserialize(type) is { } body ? (body, null) : (null, Problem.BadRequest(expected));
        }
        catch (JsonException ex)
        {
            return (null, Problem.BadRequest($"{expected} {ex.Message}"));
        }
    }

    /// <summary>A JSON body as checked UTF-8 bytes, for parsers that take bytes; or a 400/413 problem.</summary>
    public static async Task<(byte[] Body, IActionResult? Problem)> ReadJsonBytesAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        var (json, problem) = await ReadJsonAsync(request, maxBytes, cancellationToken);
        return problem is not null ? ([], problem) : (JsonSerializer.SerializeToUtf8Bytes(json!.Value), null);
    }
}
