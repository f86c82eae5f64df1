using Xunit;

namespace Serverless.Tests.Jobs;

/// <summary>
/// The jobs campaign runs alone, after the parallel classes: its two app instances and 32 queue pumps take both cores,
/// and beside it other classes' Storage calls and durable lease renewals stalled (one lock history's orchestration
/// waited two minutes for a timer), testing the machine instead of the code.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CampaignCollection
{
    public const string Name = "Campaigns (alone)";
}
