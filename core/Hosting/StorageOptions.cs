using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Hosting;

/// <summary>
/// Where Azure Storage lives. Reads the same settings the Functions host reads for <c>AzureWebJobsStorage</c>:
/// a connection string locally (Azurite), or an account name with managed identity in Azure.
/// </summary>
public sealed class StorageOptions : IValidatableObject
{
    /// <summary>Configuration key the Functions host uses for its own storage.</summary>
    public const string Section = "AzureWebJobsStorage";

    /// <summary>A storage connection string (<c>AzureWebJobsStorage</c>), e.g. <c>UseDevelopmentStorage=true</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Account name for managed identity (<c>AzureWebJobsStorage__accountName</c>).</summary>
    public string? AccountName { get; set; }

    /// <summary>Client id of a user-assigned identity (<c>AzureWebJobsStorage__clientId</c>); empty means system-assigned.</summary>
    public string? ClientId { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) && string.IsNullOrWhiteSpace(AccountName))
        {
            yield return new ValidationResult(
                "Storage is not configured: set 'AzureWebJobsStorage' to a connection string (locally 'UseDevelopmentStorage=true') " +
                "or 'AzureWebJobsStorage__accountName' for managed identity.",
                [nameof(ConnectionString), nameof(AccountName)]);
        }
    }
}
