using System.ComponentModel.DataAnnotations;
using StackExchange.Redis;

namespace Serverless.Core.Hosting;

/// <summary>Where the shared Redis lives, how the app signs in and how long to wait for it. Bound from the <c>Redis</c> configuration section.</summary>
/// <remarks>
/// The timeouts here replace any <c>connectTimeout</c>, <c>syncTimeout</c> or <c>asyncTimeout</c> written in the
/// connection string, so there is one place that decides how long a request may wait for Redis.
/// </remarks>
public sealed class RedisOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Redis";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> (setting <c>Redis__ConnectionString</c>).</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage =
        "The setting 'Redis:ConnectionString' (environment variable 'Redis__ConnectionString') is required, e.g. '127.0.0.1:6379'.")]
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// Object (principal) id of the managed identity that signs in to Redis with Entra ID tokens, which is its Redis
    /// user name (setting <c>Redis__PrincipalId</c>). Empty means no token sign-in: the connection string is used as it is.
    /// </summary>
    public string? PrincipalId { get; set; }

    /// <summary>
    /// Client id of that identity when it is user-assigned (setting <c>Redis__ClientId</c>); empty with
    /// <see cref="PrincipalId"/> set means DefaultAzureCredential (a system-assigned identity, or a developer's sign-in).
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>Prefix of every key this app writes, so several apps can share one Redis.</summary>
    [RegularExpression("^[A-Za-z0-9:_-]{1,32}$", ErrorMessage = "Redis:KeyPrefix must be 1-32 characters of A-Z, a-z, 0-9, ':', '_' or '-'.")]
    public string KeyPrefix { get; set; } = "sl:";

    /// <summary>
    /// How long one command may wait for Redis's answer before the request gives up with a 503
    /// (setting <c>Redis__OperationTimeout</c>, default 1 s).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:30", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "The setting 'Redis:OperationTimeout' (environment variable 'Redis__OperationTimeout') must be between 00:00:00.050 and 00:00:30, e.g. '00:00:01'.")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long one attempt to (re)connect may take, TLS and authentication included (setting <c>Redis__ConnectTimeout</c>,
    /// default 5 s). Requests never wait for it: while no connection is up they are answered 503 at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:02:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "The setting 'Redis:ConnectTimeout' (environment variable 'Redis__ConnectTimeout') must be between 00:00:00.050 and 00:02:00, e.g. '00:00:05'.")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(ClientId) && string.IsNullOrWhiteSpace(PrincipalId))
        {
            yield return new ValidationResult(
                "The setting 'Redis:ClientId' is set but 'Redis:PrincipalId' (environment variable 'Redis__PrincipalId') is empty: " +
                "token sign-in needs the identity's object id as the Redis user name.",
                [nameof(ClientId), nameof(PrincipalId)]);
        }

        // A password in the string would silently win over the token; two ways to sign in is a configuration mistake.
        if (!string.IsNullOrWhiteSpace(PrincipalId) && HasPassword(ConnectionString))
        {
            yield return new ValidationResult(
                "'Redis:ConnectionString' carries a password while 'Redis:PrincipalId' turns on Entra ID token sign-in: " +
                "remove the password (access keys) from the connection string, or unset 'Redis:PrincipalId'.",
                [nameof(ConnectionString), nameof(PrincipalId)]);
        }
    }

    private static bool HasPassword(string connectionString)
    {
        try
        {
            return !string.IsNullOrEmpty(ConfigurationOptions.Parse(connectionString, ignoreUnknown: true).Password);
        }
        catch (ArgumentException)
        {
            // A malformed string is reported by the connection itself, with StackExchange.Redis's own message.
            return false;
        }
    }
}
