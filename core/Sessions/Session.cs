using System.Text.Json;

namespace Serverless.Core.Sessions;

/// <summary>A session as stored: metadata plus attributes (each a JSON value).</summary>
/// <param name="Id">The id; only known right after create or rotate, otherwise the caller's own.</param>
/// <param name="Principal">Who the session belongs to, if bound.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="LastAccessAt">When it was last used (each access slides the idle expiry).</param>
/// <param name="ExpiresAt">When it expires if unused (sliding, capped by <paramref name="AbsoluteExpiresAt"/>).</param>
/// <param name="AbsoluteExpiresAt">When it expires however active.</param>
/// <param name="Version">Grows with every write; the ETag for compare-and-set.</param>
/// <param name="Attributes">Attribute name to JSON value.</param>
public sealed record Session(
    string Id,
    string? Principal,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastAccessAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset AbsoluteExpiresAt,
    long Version,
    IReadOnlyDictionary<string, JsonElement> Attributes);

/// <summary>How a session operation ended.</summary>
public enum SessionStatus
{
    /// <summary>Done.</summary>
    Ok,

    /// <summary>No such session, or it expired.</summary>
    NotFound,

    /// <summary>Compare-and-set lost: the session's version is not the expected one.</summary>
    VersionMismatch,

    /// <summary>The change would leave more attributes than allowed.</summary>
    TooManyAttributes,

    /// <summary>The principal holds the maximum number of sessions and the policy is to reject.</summary>
    PrincipalLimitReached,
}

/// <summary>The outcome of a session operation: a status and, when Ok, the session after it.</summary>
public sealed record SessionResult(SessionStatus Status, Session? Session = null)
{
    /// <summary>Shorthand for a session that is not there.</summary>
    public static SessionResult NotFound { get; } = new(SessionStatus.NotFound);
}
