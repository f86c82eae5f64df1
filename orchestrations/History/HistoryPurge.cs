using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Serverless.Core.Hosting;

namespace Serverless.Orchestrations.History;

/// <summary>
/// Deletes the histories of finished orchestrations created before <see cref="HistoryOptions.Retention"/> ago. Only
/// terminal statuses are purged: running and pending instances, and entities (lock and counter state, whose fencing
/// counter must never be lost), are never in the filter.
/// </summary>
public sealed class HistoryPurge(TimeProvider time, IOptions<HistoryOptions> options)
{
    /// <summary>The statuses an instance never leaves, so its history is only a record.</summary>
    public static readonly IReadOnlyList<OrchestrationRuntimeStatus> Finished =
        [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    /// <summary>One purge pass; answers how many instances were deleted.</summary>
    public async Task<int> PurgeAsync(DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var cutoff = time.GetUtcNow() - options.Value.Retention;
        var result = await client.PurgeAllInstancesAsync(
            new PurgeInstancesFilter(CreatedFrom: null, CreatedTo: cutoff, Statuses: Finished), options: null, cancellationToken);
        return result.PurgedInstanceCount;
    }
}
