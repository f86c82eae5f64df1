using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Search;

/// <summary>Search and its cache. Bound from the <c>Search</c> configuration section and validated at start-up.</summary>
public sealed class SearchOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Search";

    /// <summary>How long a cached result is fresh (before jitter).</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an instance keeps a result in memory before asking Redis again (before jitter).</summary>
    public TimeSpan MemoryCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Each entry lives up to this much longer than <see cref="CacheDuration"/>, at random, so entries cached together do not expire together.</summary>
    public TimeSpan JitterMax { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an expired result may still be served when the index or Redis fails.</summary>
    public TimeSpan FailSafeMaxDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>After a failure, how long a stale result is served before the index is tried again.</summary>
    public TimeSpan FailSafeThrottleDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Fraction of the duration after which a read refreshes the entry in the background (hot keys never expire in the open).</summary>
    [Range(0.5, 0.99)]
    public float EagerRefreshThreshold { get; set; } = 0.9f;

    /// <summary>
    /// How long a request waits for another request on this instance that is computing the same result before it
    /// serves a stale result (when it has one). While Redis is reachable a request never computes a result that another
    /// request, here or on another instance, is still computing: past this wait, one without a stale result waits for
    /// that computation.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Cached payloads above this many bytes are LZ4-compressed in Redis.</summary>
    [Range(64, 1_048_576)]
    public int CompressionThresholdBytes { get; set; } = 1024;

    /// <summary>How many hot queries the warm-up refreshes.</summary>
    [Range(1, 1_000)]
    public int HotQueryCount { get; set; } = 50;

    /// <summary>A query's popularity halves over this period without hits.</summary>
    public TimeSpan HotQueryHalfLife { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often each instance pulls catalog changes into its index.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Table holding the catalog.</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    public string CatalogTable { get; set; } = "catalog";

    /// <summary>Queue carrying catalog changes to the indexer.</summary>
    [RegularExpression("^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$")]
    public string ChangeQueue { get; set; } = "catalog-changes";

    /// <summary>Blob container holding index snapshots for cold instances.</summary>
    [RegularExpression("^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$")]
    public string SnapshotContainer { get; set; } = "search-index";

    /// <summary>Local folder for this instance's index; empty means a fresh temp folder.</summary>
    public string? IndexDirectory { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CacheDuration <= TimeSpan.Zero || MemoryCacheDuration <= TimeSpan.Zero || MemoryCacheDuration > CacheDuration)
        {
            yield return new ValidationResult("Search:CacheDuration must be positive and Search:MemoryCacheDuration between 0 and it.");
        }

        if (JitterMax < TimeSpan.Zero || FailSafeMaxDuration < CacheDuration + JitterMax)
        {
            yield return new ValidationResult("Search:JitterMax must be 0 or more and Search:FailSafeMaxDuration at least CacheDuration + JitterMax.");
        }

        if (SyncInterval <= TimeSpan.Zero || LockTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Search:SyncInterval and Search:LockTimeout must be positive.");
        }
    }
}
