using System.Text.RegularExpressions;

namespace Serverless.Core.Records;

/// <summary>Which record keys are accepted: what a table row key, a Redis key part and a URL segment all hold unchanged.</summary>
public static partial class RecordNames
{
    /// <summary>1-200 characters of A-Z, a-z, 0-9, '.', '_', '~' or '-' (not "." or "..", which URLs collapse).</summary>
    public static bool IsValidKey(string? key) => key is not null && Key().IsMatch(key) && key is not ("." or "..");

    [GeneratedRegex("^[A-Za-z0-9._~-]{1,200}$")]
    private static partial Regex Key();
}
