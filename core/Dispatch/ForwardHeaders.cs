namespace Serverless.Core.Dispatch;

/// <summary>Which headers cross the dispatcher, in either direction (RFC 9110 §7.6 proxy rules).</summary>
public static class ForwardHeaders
{
    /// <summary>Response header naming the target that answered.</summary>
    public const string TargetHeader = "X-Dispatch-Target";

    /// <summary>Response header a target sets cookies with; relayed only for pools with <c>passSetCookie</c>.</summary>
    public const string SetCookie = "Set-Cookie";

    // Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection; Host and Content-Length are set by the client for
    // the new request.
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
        "Host", "Content-Length", "Expect", TargetHeader,
    };

    // Credentials that authorize the caller to us (Functions key, Easy Auth principal, bearer token, our session
    // cookie) are ours, not the target's; X-Forwarded-* and Forwarded are set by us, never trusted from the caller.
    private static readonly HashSet<string> CallerOnly = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Cookie", "x-functions-key", "Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
        "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Real-IP", "X-Original-URL", "X-Rewrite-URL",
    };

    private static readonly string[] CallerOnlyPrefixes = ["X-MS-CLIENT-PRINCIPAL", "X-MS-TOKEN-", "Proxy-", "X-ARR-", "X-Forwarded-"];

    /// <summary>The caller's headers as sent to a target: no credentials, no hop-by-hop, our own <c>X-Forwarded-*</c>.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Outgoing(IReadOnlyList<KeyValuePair<string, string>> headers, ForwardOrigin? origin)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var named = NamedByConnection(headers);
        foreach (var header in headers)
        {
            if (!HopByHop.Contains(header.Key) && !named.Contains(header.Key) && !CallerOnly.Contains(header.Key)
                && !CallerOnlyPrefixes.Any(p => header.Key.StartsWith(p, StringComparison.OrdinalIgnoreCase)) && !header.Key.StartsWith(':'))
            {
                yield return header;
            }
        }

        if (origin is not null)
        {
            if (origin.ClientAddress is { Length: > 0 } client)
            {
                yield return new("X-Forwarded-For", client);
            }

            yield return new("X-Forwarded-Proto", origin.Proto);
            yield return new("X-Forwarded-Host", origin.Host);
        }
    }

    /// <summary>A target's headers as relayed to the caller: no hop-by-hop, and <c>Set-Cookie</c> only when allowed.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Incoming(IReadOnlyList<KeyValuePair<string, string>> headers, bool passSetCookie)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var named = NamedByConnection(headers);
        return headers.Where(h => !HopByHop.Contains(h.Key) && !named.Contains(h.Key) && !h.Key.StartsWith(':')
            && !h.Key.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase)
            && (passSetCookie || !(h.Key.Equals(SetCookie, StringComparison.OrdinalIgnoreCase) || h.Key.Equals("Set-Cookie2", StringComparison.OrdinalIgnoreCase))));
    }

    /// <summary>The query string without the <c>code</c> parameter (the Functions key in URL form).</summary>
    public static string WithoutFunctionKey(string query)
    {
        if (string.IsNullOrEmpty(query) || query == "?")
        {
            return "";
        }

        var kept = query.TrimStart('?').Split('&')
            .Where(p => p.Length > 0 && !p.Split('=')[0].Equals("code", StringComparison.OrdinalIgnoreCase));
        var joined = string.Join('&', kept);
        return joined.Length == 0 ? "" : "?" + joined;
    }

    // RFC 9110 §7.6.1: a header named in Connection is hop-by-hop too.
    private static HashSet<string> NamedByConnection(IReadOnlyList<KeyValuePair<string, string>> headers) =>
        new(headers.Where(h => h.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => h.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)), StringComparer.OrdinalIgnoreCase);
}

/// <summary>Where a forwarded request came from, for the <c>X-Forwarded-*</c> headers we set.</summary>
/// <param name="ClientAddress">The caller's IP address as our host saw it (null when unknown).</param>
/// <param name="Proto">Scheme the caller used to reach us.</param>
/// <param name="Host">Host the caller addressed.</param>
public sealed record ForwardOrigin(string? ClientAddress, string Proto, string Host);
