using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Jobs;

/// <summary>Reliable jobs. Bound from the <c>Jobs</c> section and validated at start-up.</summary>
public sealed class JobOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Jobs";

    /// <summary>Table holding every job and every ordering lane (<c>Jobs:Table</c>), the source of truth for job state.</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$", ErrorMessage = "Jobs:Table must be 3-63 letters or digits, starting with a letter.")]
    public string Table { get; set; } = "jobs";

    /// <summary>Storage queue the runner is triggered from (<c>Jobs:Queue</c>, read by the trigger as <c>%Jobs:Queue%</c>).</summary>
    [RegularExpression("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", ErrorMessage = "Jobs:Queue must be a valid Storage queue name (3-63 lower-case letters, digits, single hyphens).")]
    public string Queue { get; set; } = "jobs-run";

    /// <summary>How long a runner's claim on a job lasts without a heartbeat (<c>Jobs:LeaseDuration</c>); it renews every third of it.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts of a job that does not say (<c>Jobs:DefaultMaxAttempts</c>).</summary>
    [Range(1, 100, ErrorMessage = "Jobs:DefaultMaxAttempts must be 1-100.")]
    public int DefaultMaxAttempts { get; set; } = 5;

    /// <summary>Most attempts a job may ask for (<c>Jobs:MaxAttemptsLimit</c>).</summary>
    [Range(1, 100, ErrorMessage = "Jobs:MaxAttemptsLimit must be 1-100.")]
    public int MaxAttemptsLimit { get; set; } = 20;

    /// <summary>Wait before the first retry of a job (<c>Jobs:BackoffBase</c>); it doubles per attempt, with jitter, up to <see cref="BackoffCap"/>.</summary>
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait between two attempts (<c>Jobs:BackoffCap</c>).</summary>
    public TimeSpan BackoffCap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest delay a job may ask for (<c>Jobs:MaxDelay</c>); a Storage queue hides a message for at most 7 days.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Largest JSON payload of one job in bytes (<c>Jobs:MaxPayloadBytes</c>); a table property holds at most 64 KiB.</summary>
    [Range(1, 60 * 1024, ErrorMessage = "Jobs:MaxPayloadBytes must be 1-61440 (a table property holds at most 64 KiB).")]
    public int MaxPayloadBytes { get; set; } = 32 * 1024;

    /// <summary>
    /// A job that should have run this long ago but has not (its message or its lane's nudge was lost in a crash) is
    /// put back on the queue by the sweep (<c>Jobs:StuckAfter</c>).
    /// </summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a succeeded job's row, and a lane that is empty and idle, are kept (<c>Jobs:Retention</c>, default 7
    /// days, at least 1 hour); the sweep deletes them afterwards. Within it, a submission repeating the job's
    /// Idempotency-Key returns the same job; after it, the key is new again and the job would run once more. Dead jobs
    /// are kept until replayed or purged, like poison messages.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>NCRONTAB schedule of the sweep (<c>Jobs:SweepSchedule</c>, read by the timer trigger as <c>%Jobs:SweepSchedule%</c>).</summary>
    [Required(ErrorMessage = "Jobs:SweepSchedule is required (an NCRONTAB expression such as '0 */1 * * * *').")]
    public string SweepSchedule { get; set; } = "0 */1 * * * *";

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration > TimeSpan.FromMinutes(10))
        {
            yield return new ValidationResult("Jobs:LeaseDuration must be between 00:00:01 and 00:10:00.", [nameof(LeaseDuration)]);
        }

        if (BackoffBase <= TimeSpan.Zero || BackoffCap < BackoffBase || BackoffCap > TimeSpan.FromDays(1))
        {
            yield return new ValidationResult("Jobs:BackoffBase must be positive and Jobs:BackoffCap at least Jobs:BackoffBase and at most 1.00:00:00.", [nameof(BackoffBase), nameof(BackoffCap)]);
        }

        if (MaxDelay <= TimeSpan.Zero || MaxDelay > TimeSpan.FromDays(7))
        {
            yield return new ValidationResult("Jobs:MaxDelay must be positive and at most 7.00:00:00 (the longest a Storage queue hides a message).", [nameof(MaxDelay)]);
        }

        if (DefaultMaxAttempts > MaxAttemptsLimit)
        {
            yield return new ValidationResult("Jobs:DefaultMaxAttempts must not exceed Jobs:MaxAttemptsLimit.", [nameof(DefaultMaxAttempts)]);
        }

        if (Retention < TimeSpan.FromHours(1))
        {
            yield return new ValidationResult("Jobs:Retention must be at least 01:00:00: clients retry a submission with the same Idempotency-Key for longer than that, and a deleted job would run again.", [nameof(Retention)]);
        }

        if (StuckAfter <= LeaseDuration)
        {
            yield return new ValidationResult("Jobs:StuckAfter must be longer than Jobs:LeaseDuration, or the sweep would re-enqueue jobs that are still running.", [nameof(StuckAfter)]);
        }
    }
}
