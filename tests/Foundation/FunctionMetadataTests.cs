using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Functions.Health;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Foundation;

public sealed class FunctionMetadataTests
{
    // The functions this app ships. A new [Function] must be added here on purpose, and a lost one fails the build's check.
    private static readonly string[] Expected =
    [
        "AddToCounter",
        "BoundedCounterEntity",
        "CatalogIndexer",
        "CounterEntity",
        "CreateSession",
        "DeleteDispatchPool",
        "DeleteProduct",
        "DeleteRecord",
        "DeleteSession",
        "DispatchForward",
        "DispatchFromQueue",
        "DispatchProbe",
        "GetCounter",
        "GetDispatchPool",
        "GetJob",
        "GetLock",
        "GetRecord",
        "GetSession",
        "GetTransaction",
        "Health",
        "ListDeadJobs",
        "ListQueues",
        "LockAcquireOrchestrator",
        "LockAction",
        "LockCommandOrchestrator",
        "LockEntity",
        "LockGrantNotifier",
        "OpenApi",
        "OrderSagaOrchestrator",
        "OutboxRelay",
        "ParticipantAbortActivity",
        "ParticipantCommitActivity",
        "ParticipantPrepareActivity",
        "PeekPoison",
        "PurgeDeadJobs",
        "PurgeHistory",
        "PurgePoison",
        "PutDispatchPool",
        "PutRecord",
        "RecordDecisionActivity",
        "RecordNeedsAttentionActivity",
        "RecoverTransactions",
        "ReplayDeadJobs",
        "ReplayPoison",
        "RevokePrincipalSessions",
        "RotateSession",
        "RunJob",
        "SagaCompensationActivity",
        "SagaStepActivity",
        "Search",
        "SearchSnapshotTimer",
        "SearchWarmup",
        "SearchWarmupTimer",
        "StartSagaTransaction",
        "StartTwoPhaseCommitTransaction",
        "Status",
        "StockTakeOrchestrator",
        "SubmitJob",
        "SweepJobs",
        "TransferOrchestrator",
        "TwoPhaseCommitOrchestrator",
        "UpdateSession",
        "UpsertProducts",
    ];

    private static readonly IReadOnlyList<FunctionMetadataCheck.Declared> Declared =
        FunctionMetadataCheck.DeclaredIn(typeof(HealthFunction).Assembly);

    [Fact]
    public void EveryShippedFunctionIsDeclaredInCode()
    {
        Assert.Equal(Expected.Order(StringComparer.Ordinal), Declared.Select(d => d.Name));
    }

    [Fact]
    public void GeneratedMetadataMatchesEveryFunctionWithItsTriggerAndUniqueRoutes()
    {
        var problems = FunctionMetadataCheck.Problems(Declared, LoadGenerated());

        Assert.Empty(problems);
    }

    [Fact]
    public void CheckFailsWhenAFunctionIsRemovedFromTheMetadata()
    {
        var tampered = JsonNode.Parse(LoadGenerated().GetRawText())!.AsArray();
        tampered.RemoveAt(tampered.ToList().FindIndex(f => (string?)f!["name"] == "Health"));

        var problems = FunctionMetadataCheck.Problems(Declared, JsonDocument.Parse(tampered.ToJsonString()).RootElement);

        Assert.Contains(problems, p => p.Contains("Health", StringComparison.Ordinal) && p.Contains("missing", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckFailsWhenTwoFunctionsShareARoute()
    {
        var doubled = JsonNode.Parse(LoadGenerated().GetRawText())!.AsArray();
        var copy = doubled.First(f => (string?)f!["name"] == "Health")!.DeepClone();
        copy["name"] = "HealthCopy";
        doubled.Add(copy);
        var declared = Declared.Append(new FunctionMetadataCheck.Declared("HealthCopy", (string)copy["entryPoint"]!, "httpTrigger")).ToList();

        var problems = FunctionMetadataCheck.Problems(declared, JsonDocument.Parse(doubled.ToJsonString()).RootElement);

        Assert.Contains(problems, p => p.Contains("GET health", StringComparison.Ordinal));
    }

    private static JsonElement LoadGenerated()
    {
        var path = Path.Combine(RepositoryPaths.FunctionsOutput, "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: build functions/Serverless.Functions.csproj first (dotnet build Serverless.sln).");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }
}
