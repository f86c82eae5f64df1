using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Hosting;

/// <summary>Where the shared Redis lives. Bound from the <c>Redis</c> configuration section.</summary>
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
}
