using Xunit;

namespace Serverless.Tests.Jobs;

/// <summary>
/// Run alone, after the parallel classes. The jobs campaign: its two app instances and 32 queue pumps take both cores,
/// and beside it other classes' Storage calls and durable lease renewals stalled (one lock history's orchestration
/// waited two minutes for a timer), testing the machine instead of the code. The runner tests: their lease test
/// checks that a heartbeat keeps a claim, and beside the end-to-end suite's host three CI runs saw it take 50-65 s
/// for a 20 s job and lose the claim, which tests how busy the machine is, not the heartbeat.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CampaignCollection
{
    public const string Name = "Campaigns (alone)";
}
