namespace Serverless.Core.Dispatch;

/// <summary>
/// Keeps a forwarded path below its target's base path: no dot segments (plain or percent-encoded), no encoded or
/// back slashes, no absolute or scheme-relative URL. Checked where a path enters (HTTP route, queued message) and
/// again on the final URI before sending.
/// </summary>
public static class ForwardPath
{
    /// <summary>Null when <paramref name="pathAndQuery"/> is safe to append to a base URL; otherwise why not.</summary>
    public static string? Problem(string pathAndQuery)
    {
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        var query = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? pathAndQuery : pathAndQuery[..query];
        if (path.Contains("://", StringComparison.Ordinal) || path.StartsWith("//", StringComparison.Ordinal) || path.Contains('\\', StringComparison.Ordinal))
        {
            return "The path must be relative to the pool's targets (no absolute URL, '//' or '\\').";
        }

        if (pathAndQuery.Any(char.IsControl))
        {
            return "The path must not contain control characters.";
        }

        if (path.Contains("%2f", StringComparison.OrdinalIgnoreCase) || path.Contains("%5c", StringComparison.OrdinalIgnoreCase))
        {
            return "The path must not contain encoded slashes.";
        }

        foreach (var segment in path.Split('/'))
        {
            // Decoded twice: a target that decodes once more would otherwise turn %252e%252e into '..'.
            var once = Uri.UnescapeDataString(segment);
            var twice = Uri.UnescapeDataString(once);
            if (once is "." or ".." || twice is "." or ".." || twice.Contains('/', StringComparison.Ordinal) || twice.Contains('\\', StringComparison.Ordinal))
            {
                return "The path must not contain '.' or '..' segments (plain or encoded).";
            }
        }

        return null;
    }

    /// <summary>The target URI for <paramref name="baseUrl"/> plus <paramref name="pathAndQuery"/>, or null when it would leave the base path.</summary>
    public static Uri? Combine(string baseUrl, string pathAndQuery)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        if (Problem(pathAndQuery) is not null || !Uri.TryCreate(baseUrl.TrimEnd('/'), UriKind.Absolute, out var root))
        {
            return null;
        }

        var suffix = pathAndQuery.Length == 0 || pathAndQuery[0] is '/' or '?' ? pathAndQuery : "/" + pathAndQuery;
        if (!Uri.TryCreate(baseUrl.TrimEnd('/') + suffix, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var rootPath = root.AbsolutePath.TrimEnd('/');
        var samePlace = uri.Scheme == root.Scheme && uri.Authority == root.Authority
            && (uri.AbsolutePath == rootPath || uri.AbsolutePath == rootPath + "/" || uri.AbsolutePath.StartsWith(rootPath + "/", StringComparison.Ordinal) || rootPath.Length == 0);
        return samePlace ? uri : null;
    }
}
