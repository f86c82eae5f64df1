using Serverless.Tests.OpenApi;
using Xunit;

namespace Serverless.Tests.Settings;

/// <summary>docs/settings.md against the options classes it is generated from.</summary>
public sealed class SettingsReferenceTests
{
    private static readonly Lazy<IReadOnlyList<OptionsClass>> Classes = new(() =>
    {
        var docs = new XmlDocs(OptionsCatalog.AppAssemblies);
        return [.. OptionsCatalog.Types().Select(t => OptionsCatalog.Describe(t, docs))];
    });

    [Fact(Timeout = 20_000)]
    public void KeptReferenceIsTheGeneratedOne() =>
        KeptFile.AssertCurrent("docs/settings.md", SettingsMarkdown.Render(Classes.Value), nameof(SettingsReferenceTests));

    [Fact(Timeout = 20_000)]
    public void EveryOptionsClassRegisteredByAddServerlessIsListed()
    {
        var listed = Classes.Value.Select(c => c.Type.Name).ToList();

        // The classes of today's building blocks; new ones are found the same way and only add to this.
        Assert.Superset(new HashSet<string>(["RedisOptions", "StorageOptions", "HistoryOptions", "SessionOptions", "SearchOptions", "DispatchOptions",
            "LockingOptions", "TransactionOptions", "TransactionFaultOptions", "RecordsOptions", "MessagingOptions", "JobOptions",
            "ServiceBusPublishingOptions"]), listed.ToHashSet());
    }

    [Fact(Timeout = 20_000)]
    public void EverySettingHasADescription()
    {
        var undocumented = Classes.Value.SelectMany(c => c.Settings).Where(s => string.IsNullOrWhiteSpace(s.Summary)).Select(s => s.Key).ToList();

        Assert.True(undocumented.Count == 0,
            $"Settings without an XML <summary> (add one; for a project other than core, turn on GenerateDocumentationFile): {string.Join(", ", undocumented)}");
    }

    [Fact(Timeout = 20_000)]
    public void CustomValidationMessagesAreFoundWithTheSettingsTheyName()
    {
        var dispatch = Classes.Value.Single(c => c.Type.Name == "DispatchOptions");

        Assert.Contains(dispatch.Messages, m => m.StartsWith("Dispatch:LeaseDuration must be at least", StringComparison.Ordinal));
        Assert.Contains(dispatch.Messages, m => m.StartsWith("Dispatch:AllowedHosts entry '…' must be a host name", StringComparison.Ordinal));
        Assert.Contains(dispatch.Settings, s => s.Key == "Dispatch:FailureThreshold" && s.Checks.Contains("1 to 1000") && s.Default == "5");
    }
}
