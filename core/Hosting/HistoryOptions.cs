using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Hosting;

/// <summary>
/// How long finished orchestration histories (locks, counters, transactions) are kept. Bound from the <c>History</c>
/// section; the purge timer runs on <c>History:PurgeSchedule</c>.
/// </summary>
public sealed class HistoryOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "History";

    /// <summary>
    /// A finished instance created longer ago than this is purged. Long enough by default for support to read what
    /// happened; the 2PC recovery job treats a purged coordinator as gone, which is what it is.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Retention < TimeSpan.FromSeconds(1))
        {
            yield return new ValidationResult("History:Retention must be at least 1 s (e.g. \"7.00:00:00\" for seven days).", [nameof(Retention)]);
        }
    }
}
