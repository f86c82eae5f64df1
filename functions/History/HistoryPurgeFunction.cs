using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Core.Hosting;
using Serverless.Orchestrations.History;

namespace Serverless.Functions.History;

/// <summary>Hourly by default (History:PurgeSchedule): purge finished orchestration histories older than <c>History:Retention</c>.</summary>
public sealed class HistoryPurgeFunction(TimeProvider time, IOptions<HistoryOptions> options, ILogger<HistoryPurgeFunction> logger)
{
    private readonly HistoryPurge _purge = new(time, options);

    [Function("PurgeHistory")]
    public async Task Run([TimerTrigger("%History:PurgeSchedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var purged = await _purge.PurgeAsync(client, cancellationToken);
        if (purged > 0)
        {
            logger.LogInformation("History purge: {Purged} finished orchestrations older than {Retention} deleted.", purged, options.Value.Retention);
        }
    }
}
