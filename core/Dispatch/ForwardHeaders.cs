namespace Serverless.Core.Dispatch;

/// <summary>Which headers cross the dispatcher, in either direction.</summary>
public static class ForwardHeaders
{
    /// <summary>Response header naming the target that answered.</summary>
    public const string TargetHeader = "X-Dispatch-Target";

    // Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection; Host and Content-Length are set by the client for
    // the new request; the Functions key authorizes the call to us and must never reach a backend.
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Expect", "x-functions-key", TargetHeader,
    };

    /// <summary>True when the header may be copied to the other side.</summary>
    public static bool IsForwardable(string name) => !Dropped.Contains(name) && !name.StartsWith(':');

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
}
