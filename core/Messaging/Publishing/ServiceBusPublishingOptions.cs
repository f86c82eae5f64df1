using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Messaging.Publishing;

/// <summary>
/// Where events are published: a Service Bus topic. Bound from <c>Messaging:ServiceBus</c>. With neither
/// <see cref="FullyQualifiedNamespace"/> nor <see cref="ConnectionString"/> set, nothing is published.
/// </summary>
public sealed class ServiceBusPublishingOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Messaging:ServiceBus";

    /// <summary>Namespace host, e.g. <c>sb-x.servicebus.windows.net</c> (<c>Messaging:ServiceBus:FullyQualifiedNamespace</c>): managed identity.</summary>
    public string? FullyQualifiedNamespace { get; set; }

    /// <summary>A connection string with a SAS key (<c>Messaging:ServiceBus:ConnectionString</c>), where identity cannot be used.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Client id of a user-assigned identity (<c>Messaging:ServiceBus:ClientId</c>); empty = DefaultAzureCredential's choice.</summary>
    public string? ClientId { get; set; }

    /// <summary>Topic the events go to (<c>Messaging:ServiceBus:Topic</c>).</summary>
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._/-]{0,259}$", ErrorMessage = "Messaging:ServiceBus:Topic must be 1-260 letters, digits, '.', '_', '-' or '/'.")]
    public string Topic { get; set; } = "events";

    /// <summary>True when a broker is configured.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(FullyQualifiedNamespace) || !string.IsNullOrWhiteSpace(ConnectionString);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(FullyQualifiedNamespace) && !string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult(
                "Set either Messaging:ServiceBus:FullyQualifiedNamespace (managed identity) or Messaging:ServiceBus:ConnectionString, not both.",
                [nameof(FullyQualifiedNamespace), nameof(ConnectionString)]);
        }

        if (!string.IsNullOrWhiteSpace(FullyQualifiedNamespace) && (FullyQualifiedNamespace.Contains("://", StringComparison.Ordinal) || FullyQualifiedNamespace.Contains('/', StringComparison.Ordinal)))
        {
            yield return new ValidationResult(
                "Messaging:ServiceBus:FullyQualifiedNamespace must be a host name such as 'sb-x.servicebus.windows.net', without scheme or path.",
                [nameof(FullyQualifiedNamespace)]);
        }
    }
}
