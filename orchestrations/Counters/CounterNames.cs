using System.Text.RegularExpressions;

namespace Serverless.Orchestrations.Counters;

/// <summary>Which counter names are accepted (they become entity keys).</summary>
public static partial class CounterNames
{
    /// <summary>Null when <paramref name="name"/> is 1–64 of A–Z a–z 0–9 . _ -, else why not.</summary>
    public static string? Check(string? name) =>
        name is not null && Pattern().IsMatch(name) ? null : "A counter name is 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'.";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex Pattern();
}
