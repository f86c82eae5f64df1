using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Foundation;

public sealed class SettingResolutionTests
{
    private static readonly string LocalSettingsPath = Path.Combine(RepositoryPaths.Root, "local.settings.sample.json");
    private static readonly string BicepPath = Path.Combine(RepositoryPaths.Root, "infra", "bicep", "modules", "functionapp.bicep");

    [Fact]
    public void TheReferencesThisAppReliesOnAreFound()
    {
        var names = References(LoadGenerated()).Select(r => r.Name).ToList();

        Assert.Contains("Search:ChangeQueue", names);
        Assert.Contains("DurableTaskHubName", names);
    }

    [Fact]
    public void EverySettingReferenceResolvesFromTheLocalSettings()
    {
        var problems = SettingResolutionCheck.Unresolved(References(LoadGenerated()), LocalSettings(), "local.settings.sample.json");

        Assert.Empty(problems);
    }

    [Fact]
    public void EverySettingReferenceResolvesFromTheBicepAppSettings()
    {
        var problems = SettingResolutionCheck.Unresolved(References(LoadGenerated()), BicepAppSettings(), "functionapp.bicep");

        Assert.Empty(problems);
    }

    [Fact]
    public void BicepAppSettingsAreReadFromTheAppSettingsResourceOnly()
    {
        var names = BicepAppSettings();

        Assert.Contains("Search__ChangeQueue", names);
        Assert.Contains("AzureWebJobsStorage__accountName", names);
        Assert.DoesNotContain("serverFarmId", names);
        Assert.DoesNotContain("parent", names);
    }

    [Fact]
    public void CheckFailsForABindingThatNamesTheEnvironmentVariableInsteadOfTheConfigurationKey()
    {
        var metadata = JsonNode.Parse(LoadGenerated().GetRawText())!.AsArray();
        var trigger = metadata.Single(f => (string?)f!["name"] == "CatalogIndexer")!["bindings"]!.AsArray()
            .Single(b => (string?)b!["type"] == "queueTrigger")!;
        trigger["queueName"] = "%Search__ChangeQueue%";

        var problems = SettingResolutionCheck.Unresolved(References(JsonDocument.Parse(metadata.ToJsonString()).RootElement), LocalSettings(), "local.settings.sample.json");

        Assert.Equal(["%Search__ChangeQueue% in CatalogIndexer binding 'message' does not resolve from local.settings.sample.json"], problems);
    }

    [Theory]
    [InlineData("Search:ChangeQueue", true)]
    [InlineData("search:changequeue", true)]
    [InlineData("Search__ChangeQueue", false)]
    [InlineData("", false)]
    public void NamesResolveLikeConfigurationKeys(string name, bool resolves)
    {
        var problems = SettingResolutionCheck.Unresolved([new SettingResolutionCheck.Reference("test", name)], ["Search__ChangeQueue"], "test");

        Assert.Equal(resolves, problems.Count == 0);
    }

    private static IReadOnlyList<SettingResolutionCheck.Reference> References(JsonElement metadata)
    {
        var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "functions", "host.json"))).RootElement;
        return SettingResolutionCheck.ReferencesIn(metadata, hostJson);
    }

    private static IReadOnlyList<string> LocalSettings() =>
        SettingResolutionCheck.LocalSettingNames(JsonDocument.Parse(File.ReadAllText(LocalSettingsPath)).RootElement);

    private static IReadOnlyList<string> BicepAppSettings() =>
        SettingResolutionCheck.BicepAppSettingNames(File.ReadAllText(BicepPath));

    private static JsonElement LoadGenerated()
    {
        var path = Path.Combine(RepositoryPaths.FunctionsOutput, "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: build functions/Serverless.Functions.csproj first (dotnet build Serverless.sln).");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }
}
