using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Hosting;

/// <summary>Where the shared Redis lives and how long to wait for it. Bound from the <c>Redis</c> configuration section.</summary>
/// <remarks>
/// The timeouts here replace any <c>connectTimeout</c>, <c>syncTimeout</c> or <c>asyncTimeout</c> written in the
/// connection string, so there is one place that decides how long a request may wait for Redis.
/// </remarks>
public sealed class RedisOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Redis";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> (setting <c>Redis__ConnectionString</c>).</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage =
        "The setting 'Redis:ConnectionString' (environment variable 'Redis__ConnectionString') is required, e.g. '127.0.0.1:6379'.")]
    public string ConnectionString { get; set; } = "";

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
}
