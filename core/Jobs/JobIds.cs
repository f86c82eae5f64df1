using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Serverless.Core.Jobs;

/// <summary>
/// Job ids are derived from the Idempotency-Key (<c>job-</c> + 32 hex of its SHA-256): the job row is then itself
/// the claim on the key, an insert that only one submission can win, with no second table to keep in step.
/// </summary>
public static partial class JobIds
{
    /// <summary>The job id for <paramref name="idempotencyKey"/>.</summary>
    public static string For(string idempotencyKey) =>
        "job-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..32];

    /// <summary>True for an id <see cref="For"/> could have made (safe as a table key and a route value).</summary>
    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    /// <summary>True for 1-200 visible ASCII characters: what an Idempotency-Key header may hold.</summary>
    public static bool IsWellFormedKey(string? key) =>
        !string.IsNullOrEmpty(key) && key.Length <= 200 && key.All(c => c is > ' ' and <= '~');

    [GeneratedRegex("^job-[0-9a-f]{32}$")]
    private static partial Regex Pattern();
}
