using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Transactions;

/// <summary>
/// Fault injection for tests, demos and fault campaigns, set only through configuration (<c>Transactions:Faults</c>);
/// no request can switch it on. Empty (the default) injects nothing.
/// </summary>
public sealed class TransactionFaultOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Transactions:Faults";

    /// <summary>Seed of the random draws for probabilistic rules, so a campaign can be replayed.</summary>
    public int Seed { get; set; }

    /// <summary>The rules; every matching rule applies, in order.</summary>
    public IList<FaultRule> Rules { get; } = [];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < Rules.Count; i++)
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(Rules[i], new ValidationContext(Rules[i]), results, validateAllProperties: true))
            {
                foreach (var result in results)
                {
                    yield return new ValidationResult($"Transactions:Faults:Rules:{i}: {result.ErrorMessage}", [nameof(Rules)]);
                }
            }
        }
    }
}

/// <summary>One fault: which participant operation, how it fails, how often, and for which orders.</summary>
public sealed class FaultRule
{
    /// <summary>
    /// <c>{Participant}.{Operation}</c> with Participant Inventory, Payments, Shipping or <c>*</c>, and Operation
    /// Prepare, Commit, Abort, Apply, Compensate or <c>*</c>; e.g. <c>Payments.Prepare</c>, <c>*.Commit</c>.
    /// </summary>
    [Required]
    [RegularExpression(@"^(Inventory|Payments|Shipping|\*)\.(Prepare|Commit|Abort|Apply|Compensate|\*)$",
        ErrorMessage = "Step must be 'Participant.Operation': Participant one of Inventory, Payments, Shipping, *; Operation one of Prepare, Commit, Abort, Apply, Compensate, *.")]
    public string Step { get; set; } = "";

    /// <summary>What happens.</summary>
    public FaultKind Kind { get; set; } = FaultKind.Throw;

    /// <summary>Chance per matching call, drawn from the seeded generator.</summary>
    [Range(0.0, 1.0)]
    public double Probability { get; set; } = 1.0;

    /// <summary>Applies to the first this-many hits per transaction and step; empty means every time.</summary>
    [Range(1, int.MaxValue)]
    public int? Times { get; set; }

    /// <summary>Only orders whose SKU starts with this (empty: all orders).</summary>
    public string? SkuPrefix { get; set; }

    /// <summary>For <see cref="FaultKind.Delay"/>: how long the call stalls.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>How an injected fault shows.</summary>
public enum FaultKind
{
    /// <summary>The call throws before doing anything.</summary>
    Throw,

    /// <summary>The call does its work, then throws: the caller never hears back (a lost acknowledgement).</summary>
    LoseAck,

    /// <summary>The call stalls before doing its work (long enough, it makes the caller time out).</summary>
    Delay,
}

/// <summary>Thrown by an injected fault.</summary>
public sealed class InjectedFaultException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InjectedFaultException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public InjectedFaultException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public InjectedFaultException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
