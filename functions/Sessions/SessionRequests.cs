using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Serverless.Core.Sessions;
using Serverless.Functions.Http;

namespace Serverless.Functions.Sessions;

/// <summary>Reading session requests: where the id comes from, bodies and If-Match.</summary>
internal static class SessionRequests
{
    public const string CurrentAlias = "current";

    /// <summary>
    /// The id for <c>current</c> (the documented way) from <c>Authorization: Session &lt;id&gt;</c> or the cookie; an
    /// id in the route itself still works for old clients, but request telemetry records it with the URL.
    /// </summary>
    public static string? IdFrom(HttpRequest request, string routeId, SessionOptions options)
    {
        if (!string.Equals(routeId, CurrentAlias, StringComparison.OrdinalIgnoreCase))
        {
            return routeId;
        }

        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Session ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Session ".Length..].Trim();
        }

        return request.Cookies.TryGetValue(options.CookieName, out var cookie) ? cookie : null;
    }

    public static IActionResult? MalformedId(string? id) =>
        SessionId.IsWellFormed(id) ? null : Problem.BadRequest("The session id is missing or malformed: expected 43 base64url characters.");

    /// <summary>Reads a JSON object body (an empty body is <c>{}</c>), or a 400/413 problem.</summary>
    public static async Task<(JsonElement? Body, IActionResult? Problem)> ReadObjectAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        var (body, problem) = await RequestBodies.ReadJsonAsync(request, maxBytes, cancellationToken, whenEmpty: "{}");
        return problem is null && body?.ValueKind != JsonValueKind.Object ? (null, Problem.BadRequest("The body must be a JSON object.")) : (body, problem);
    }

    /// <summary>Reads <c>{"principal": string?, "attributes": object?}</c>; false when a member has the wrong type.</summary>
    public static bool TryParseCreate(JsonElement body, out string? principal, out Dictionary<string, JsonElement> attributes)
    {
        principal = null;
        attributes = [];
        if (body.TryGetProperty("principal", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            principal = p.GetString();
        }

        if (body.TryGetProperty("attributes", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            if (a.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            attributes = Properties(a);
        }

        return true;
    }

    public static Dictionary<string, JsonElement> Properties(JsonElement obj) =>
        obj.EnumerateObject().GroupBy(p => p.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    /// <summary>Parses <c>If-Match</c>: null when absent or <c>*</c>; false when malformed.</summary>
    public static bool TryExpectedVersion(HttpRequest request, out long? version)
    {
        version = null;
        var header = request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0 || header == "*")
        {
            return true;
        }

        var raw = header.StartsWith("W/", StringComparison.Ordinal) ? header[2..] : header;
        if (long.TryParse(raw.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            version = parsed;
            return true;
        }

        return false;
    }
}
