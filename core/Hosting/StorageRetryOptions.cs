using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Hosting;

/// <summary>
/// How long a request may wait for Azure Storage: the retries and per-try timeout of the app's blob, queue and table
/// clients. Bound from the <c>Storage</c> configuration section. The SDK defaults (3 retries from 0.8 s, 100 s per
/// try) suit a batch job; on a request path they turned a dead Storage into a stall of many seconds before a 503.
/// </summary>
public sealed class StorageRetryOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Storage";

    /// <summary>
    /// Retries after a failed try: throttling (429/503), a 5xx, a timeout or a refused connection (setting
    /// <c>Storage__MaxRetries</c>, default 2). 0 answers the first failure.
    /// </summary>
    [Range(0, 10, ErrorMessage = "The setting 'Storage:MaxRetries' (environment variable 'Storage__MaxRetries') must be between 0 and 10.")]
    public int MaxRetries { get; set; } = 2;

    /// <summary>The pause before the first retry, doubled for each later one (setting <c>Storage__RetryDelay</c>, default 200 ms).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "The setting 'Storage:RetryDelay' (environment variable 'Storage__RetryDelay') must be between 00:00:00.010 and 00:00:30, e.g. '00:00:00.200'.")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest pause the doubling reaches between two tries (setting <c>Storage__MaxRetryDelay</c>, default 1 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:02:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "The setting 'Storage:MaxRetryDelay' (environment variable 'Storage__MaxRetryDelay') must be between 00:00:00.010 and 00:02:00, e.g. '00:00:01'.")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long one try may wait for Storage's answer, connecting included (setting <c>Storage__NetworkTimeout</c>,
    /// default 5 s): what a Storage that accepts connections but does not answer costs a request, per try. Large blob
    /// transfers are split into blocks and each block gets this long.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "The setting 'Storage:NetworkTimeout' (environment variable 'Storage__NetworkTimeout') must be between 00:00:00.100 and 00:05:00, e.g. '00:00:05'.")]
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RetryDelay > MaxRetryDelay)
        {
            yield return new ValidationResult(
                "The setting 'Storage:RetryDelay' is longer than 'Storage:MaxRetryDelay': every pause would be the longest one; lower the first or raise the second.",
                [nameof(RetryDelay), nameof(MaxRetryDelay)]);
        }
    }
}
