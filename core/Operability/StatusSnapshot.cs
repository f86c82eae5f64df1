using Serverless.Core.Dispatch;

namespace Serverless.Core.Operability;

/// <summary>What the status page shows, read at one moment.</summary>
/// <param name="TakenAt">When it was read.</param>
/// <param name="Pools">Every dispatch pool with its targets' live state.</param>
/// <param name="Queues">Storage queues with their poison twins' depths.</param>
/// <param name="QueuesNotShown">Queues left out beyond <see cref="StatusReader.MaxQueues"/>.</param>
/// <param name="Meters">Every <c>Serverless.*</c> instrument's totals.</param>
/// <param name="Errors">What could not be read (a dependency down); the rest is still shown.</param>
public sealed record StatusSnapshot(
    DateTimeOffset TakenAt,
    IReadOnlyList<PoolView> Pools,
    IReadOnlyList<QueueDepth> Queues,
    int QueuesNotShown,
    IReadOnlyList<InstrumentTotal> Meters,
    IReadOnlyList<string> Errors);

/// <summary>A queue's approximate depth and that of its <c>-poison</c> queue (null when it has none).</summary>
/// <param name="Name">Queue name.</param>
/// <param name="Depth">Approximate message count.</param>
/// <param name="PoisonDepth">Approximate message count of <c>{Name}-poison</c>, if that queue exists.</param>
public sealed record QueueDepth(string Name, int Depth, int? PoisonDepth);
