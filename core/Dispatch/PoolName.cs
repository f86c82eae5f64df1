using System.Text.RegularExpressions;

namespace Serverless.Core.Dispatch;

/// <summary>Pool names: safe in a Redis key and a URL segment.</summary>
public static partial class PoolName
{
    /// <summary>
    /// Reserved because <c>dispatch/pools/{pool}</c> is the management route: a pool with this name could not be
    /// told apart from it in <c>dispatch/{pool}/{*path}</c>.
    /// </summary>
    public const string Reserved = "pools";

    /// <summary>True for 1-64 characters of A-Z, a-z, 0-9, '_' or '-', other than <see cref="Reserved"/>.</summary>
    public static bool IsValid(string? name) =>
        name is not null && Pattern().IsMatch(name) && !string.Equals(name, Reserved, StringComparison.OrdinalIgnoreCase);

    /// <summary>What a valid name looks like, for error messages.</summary>
    public const string Rule = "A pool name is 1-64 characters of A-Z, a-z, 0-9, '_' or '-' (and not 'pools').";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex Pattern();
}
