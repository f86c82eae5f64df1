using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Transactions;

/// <summary>Distributed transaction settings. Bound from the <c>Transactions</c> section and validated at start-up.</summary>
public sealed class TransactionOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Transactions";

    /// <summary>
    /// Prefix of the tables (<c>{prefix}inventory</c>, <c>payments</c>, <c>shipping</c>, <c>decisions</c>,
    /// <c>attention</c>, <c>requests</c>) and of the needs-attention queue (<c>{prefix}-attention</c>), so apps and tests can share an account.
    /// </summary>
    [RegularExpression("^[a-z][a-z0-9]{1,30}$", ErrorMessage = "Transactions:TablePrefix must be 2-31 lower-case letters or digits, starting with a letter.")]
    public string TablePrefix { get; set; } = "tx";

    /// <summary>2PC: how long the coordinator waits for every vote before it aborts.</summary>
    public TimeSpan PrepareTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Saga: how long one step may take before the saga compensates.</summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts per activity call (the first included) before the call counts as failed.</summary>
    [Range(1, 20)]
    public int RetryAttempts { get; set; } = 5;

    /// <summary>Wait before the first retry; it doubles each time, up to ten times this.</summary>
    public TimeSpan RetryFirstInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// 2PC: rounds of delivering the decision to a participant (each round is a full retry policy) before the
    /// coordinator records a needs-attention entry and leaves the delivery to the recovery job.
    /// </summary>
    [Range(1, 100)]
    public int DeliveryRounds { get; set; } = 10;

    /// <summary>The recovery job resolves a reservation that has been prepared for longer than this.</summary>
    public TimeSpan RecoverAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest quantity one order may ask for.</summary>
    [Range(1, 1_000_000)]
    public int MaxQuantity { get; set; } = 1_000;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, value) in new[] { (nameof(PrepareTimeout), PrepareTimeout), (nameof(StepTimeout), StepTimeout), (nameof(RecoverAfter), RecoverAfter) })
        {
            if (value < TimeSpan.FromSeconds(1))
            {
                yield return new ValidationResult($"Transactions:{name} must be at least 1 s (durable timers have 1 s resolution).", [name]);
            }
        }

        if (RetryFirstInterval < TimeSpan.FromMilliseconds(100) || RetryFirstInterval > TimeSpan.FromMinutes(5))
        {
            yield return new ValidationResult("Transactions:RetryFirstInterval must be between 100 ms and 5 min.", [nameof(RetryFirstInterval)]);
        }
    }
}
