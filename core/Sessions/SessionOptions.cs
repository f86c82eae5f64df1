using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Sessions;

/// <summary>Session limits. Bound from the <c>Sessions</c> configuration section and validated at start-up.</summary>
public sealed class SessionOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Sessions";

    /// <summary>A session unused for this long expires; every access slides it.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>A session never lives longer than this after creation, however active (rotation keeps the deadline).</summary>
    public TimeSpan AbsoluteLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Most attributes one session may hold.</summary>
    [Range(1, 1_000)]
    public int MaxAttributes { get; set; } = 64;

    /// <summary>Largest attribute value, in UTF-8 bytes of its JSON text.</summary>
    [Range(16, 1_048_576)]
    public int MaxValueBytes { get; set; } = 16 * 1024;

    /// <summary>Most live sessions one principal may hold.</summary>
    [Range(1, 10_000)]
    public int MaxSessionsPerPrincipal { get; set; } = 10;

    /// <summary>What happens when a principal is at <see cref="MaxSessionsPerPrincipal"/> and logs in again.</summary>
    public PrincipalLimitPolicy PrincipalLimitPolicy { get; set; } = PrincipalLimitPolicy.EvictOldest;

    /// <summary>Cookie that carries the session id.</summary>
    [RegularExpression("^[A-Za-z0-9_.-]{1,64}$")]
    public string CookieName { get; set; } = "__Host-sid";

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IdleTimeout < TimeSpan.FromMilliseconds(100))
        {
            yield return new ValidationResult("Sessions:IdleTimeout must be at least 100 ms.", [nameof(IdleTimeout)]);
        }

        if (AbsoluteLifetime < IdleTimeout)
        {
            yield return new ValidationResult("Sessions:AbsoluteLifetime must be at least Sessions:IdleTimeout.", [nameof(AbsoluteLifetime)]);
        }
    }
}

/// <summary>What to do when a principal already holds the maximum number of sessions.</summary>
public enum PrincipalLimitPolicy
{
    /// <summary>End the principal's oldest session to make room.</summary>
    EvictOldest,

    /// <summary>Refuse the new session.</summary>
    Reject,
}
