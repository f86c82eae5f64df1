using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Serverless.Functions.Http;

/// <summary>Reads request bodies with a size cap, answering 413/400 problems instead of throwing.</summary>
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
}
