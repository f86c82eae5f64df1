using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace Serverless.Core.Records;

/// <summary>Cached records: where they are stored, how write-behind flushes, and the collections. Bound from <c>Records</c>.</summary>
public sealed partial class RecordsOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Records";

    /// <summary>The Azure table that holds every collection's records, the source of truth (setting <c>Records:Table</c>).</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$", ErrorMessage = "The setting 'Records:Table' must be a table name: a letter, then 2-62 letters or digits.")]
    public string Table { get; set; } = "records";

    /// <summary>How long the write-behind flusher waits when the dirty log is empty (setting <c>Records:FlushInterval</c>, default 200 ms).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "The setting 'Records:FlushInterval' must be between 00:00:00.010 and 00:01:00.")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Most dirty-log entries one flush reads (setting <c>Records:FlushBatch</c>, default 256).</summary>
    [Range(1, 1000, ErrorMessage = "The setting 'Records:FlushBatch' must be between 1 and 1000.")]
    public int FlushBatch { get; set; } = 256;

    /// <summary>
    /// How long a dirty-log entry may stay unacknowledged by its flusher before another instance claims it (setting
    /// <c>Records:ClaimAfter</c>, default 30 s): longer than the slowest table write, or two flushers write the same batch.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "The setting 'Records:ClaimAfter' must be between 00:00:00.100 and 01:00:00.")]
    public TimeSpan ClaimAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The collections by name (<c>Records:Collections:&lt;name&gt;:Policy</c> …); a request for any other is a 404.</summary>
    public Dictionary<string, CollectionOptions> Collections { get; } = new(StringComparer.Ordinal);

    // A field, not a call inside the message: the settings reference reads messages from the IL, where a call splits them.
    private static readonly string PolicyNames = string.Join(", ", WritePolicies.Names);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, collection) in Collections)
        {
            if (!CollectionName().IsMatch(name))
            {
                yield return new ValidationResult($"'Records:Collections:{name}': a collection name is 1-40 lower-case letters, digits or '-', starting with a letter or digit.");
            }

            if (!WritePolicies.TryParse(collection.Policy, out _))
            {
                yield return new ValidationResult($"The setting 'Records:Collections:{name}:Policy' must be one of {PolicyNames}, not '{collection.Policy}'.");
            }

            if (collection.Eviction is not { } eviction || !(eviction.Equals("lfu", StringComparison.OrdinalIgnoreCase) || eviction.Equals("lru", StringComparison.OrdinalIgnoreCase)))
            {
                yield return new ValidationResult($"The setting 'Records:Collections:{name}:Eviction' must be 'lfu' or 'lru', not '{collection.Eviction}'.");
            }

            if (collection.L1Size is < 0 or > 10_000_000)
            {
                yield return new ValidationResult($"The setting 'Records:Collections:{name}:L1Size' must be between 0 (no L1) and 10000000.");
            }

            if (collection.Ttl < TimeSpan.FromSeconds(1) || collection.L1Ttl < TimeSpan.FromMilliseconds(100))
            {
                yield return new ValidationResult($"The settings 'Records:Collections:{name}:Ttl' (at least 00:00:01) and 'Records:Collections:{name}:L1Ttl' (at least 00:00:00.100) are too short.");
            }
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex CollectionName();
}
