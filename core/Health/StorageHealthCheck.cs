using Azure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serverless.Core.Storage;

namespace Serverless.Core.Health;

/// <summary>Asks each storage service (blobs, queues, tables) one real question, so a dead endpoint or a missing role shows.</summary>
public sealed class StorageHealthCheck(StorageClients storage, StorageService service) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // A data-plane read that the app's own roles allow; a 404 still proves the service answered.
            switch (service)
            {
                case StorageService.Blobs:
                    await storage.Blobs.GetBlobContainerClient("azure-webjobs-hosts").ExistsAsync(cancellationToken);
                    break;
                case StorageService.Queues:
                    await storage.Queues.GetQueueClient("health-probe").ExistsAsync(cancellationToken);
                    break;
                default:
                    await foreach (var _ in storage.Tables.QueryAsync(maxPerPage: 1, cancellationToken: cancellationToken).AsPages(pageSizeHint: 1))
                    {
                        break;
                    }

                    break;
            }

            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or OperationCanceledException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy(ex.Message, ex);
        }
    }
}

/// <summary>The storage service a <see cref="StorageHealthCheck"/> probes.</summary>
public enum StorageService
{
    /// <summary>Blob service.</summary>
    Blobs,

    /// <summary>Queue service.</summary>
    Queues,

    /// <summary>Table service.</summary>
    Tables,
}
