using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Serverless.Core.Sessions;

/// <summary>Checks a request against the limits before anything is written, so a rejected request writes nothing.</summary>
public sealed class SessionRules(IOptions<SessionOptions> options)
{
    private const int MaxNameLength = 128;
    private const int MaxPrincipalLength = 256;

    /// <summary>The first problem with these attribute changes, or null. A JSON null value means "remove".</summary>
    public SessionProblem? Check(IReadOnlyDictionary<string, JsonElement> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var limits = options.Value;
        if (changes.Count > limits.MaxAttributes)
        {
            return new(SessionProblemKind.TooManyAttributes, $"At most {limits.MaxAttributes} attributes per session; the request has {changes.Count}.");
        }

        foreach (var (name, value) in changes)
        {
            if (!IsValidName(name))
            {
                return new(SessionProblemKind.Invalid, $"Attribute name '{Truncate(name)}' is invalid: use 1-{MaxNameLength} characters of A-Z, a-z, 0-9, '_', '-', '.', ':'.");
            }

            var bytes = System.Text.Encoding.UTF8.GetByteCount(value.GetRawText());
            if (bytes > limits.MaxValueBytes)
            {
                return new(SessionProblemKind.ValueTooLarge, $"Attribute '{name}' is {bytes} bytes; the limit is {limits.MaxValueBytes}.");
            }
        }

        return null;
    }

    /// <summary>The problem with a principal name, or null.</summary>
    public static SessionProblem? CheckPrincipal(string? principal) =>
        principal is null || (principal.Length is > 0 and <= MaxPrincipalLength && !principal.Any(char.IsControl))
            ? null
            : new(SessionProblemKind.Invalid, $"Principal must be 1-{MaxPrincipalLength} characters without control characters.");

    /// <summary>True for attribute names this app accepts.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxNameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':');

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}

/// <summary>Why a session request was refused before reaching Redis.</summary>
public sealed record SessionProblem(SessionProblemKind Kind, string Detail);

/// <summary>Kinds of refused session requests.</summary>
public enum SessionProblemKind
{
    /// <summary>Malformed input.</summary>
    Invalid,

    /// <summary>More attributes than allowed.</summary>
    TooManyAttributes,

    /// <summary>A value above the size limit.</summary>
    ValueTooLarge,
}
