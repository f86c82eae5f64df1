using System.Text.Json;
using System.Text.RegularExpressions;

namespace Serverless.Tests.Foundation;

/// <summary>
/// Resolves every <c>%name%</c> in the bindings of <c>functions.metadata</c> and in <c>host.json</c> the way the host
/// does: the WebJobs DefaultNameResolver looks the name up in configuration, where environment variables appear with
/// <c>__</c> turned into <c>:</c> and keys compare case-insensitively. An unresolved name only disables the function
/// with a log line at start-up, so it has to be caught here.
/// </summary>
public static partial class SettingResolutionCheck
{
    public sealed record Reference(string Where, string Name);

    /// <summary>Every <c>%name%</c> in any string of any binding, and in any string of host.json.</summary>
    public static IReadOnlyList<Reference> ReferencesIn(JsonElement metadata, JsonElement hostJson) =>
        metadata.EnumerateArray()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray().SelectMany(b =>
                NamesIn(b).Select(n => new Reference($"{f.GetProperty("name").GetString()} binding '{b.GetProperty("name").GetString()}'", n))))
            .Concat(NamesIn(hostJson).Select(n => new Reference("host.json", n)))
            .ToList();

    /// <summary>The environment variables local.settings(.sample).json defines: its "Values".</summary>
    public static IReadOnlyList<string> LocalSettingNames(JsonElement localSettings) =>
        localSettings.GetProperty("Values").EnumerateObject().Select(p => p.Name).ToList();

    /// <summary>The app settings (environment variables in Azure) of the <c>appSettings</c> resource in a Bicep file.</summary>
    public static IReadOnlyList<string> BicepAppSettingNames(string bicep)
    {
        // A flat object of name: value lines is all the appsettings resource holds, so counting braces is parsing enough.
        var resource = AppSettingsResource().Match(bicep);
        if (!resource.Success)
        {
            throw new InvalidOperationException("No 'resource appSettings' in the Bicep file.");
        }

        var open = bicep.IndexOf('{', bicep.IndexOf("properties:", resource.Index, StringComparison.Ordinal));
        var depth = 0;
        var close = open;
        do
        {
            depth += bicep[close] switch { '{' => 1, '}' => -1, _ => 0 };
            close++;
        }
        while (depth > 0);

        return PropertyName().Matches(bicep[(open + 1)..(close - 1)]).Select(m => m.Groups[1].Value).ToList();
    }

    /// <summary>One line per reference that no setting of <paramref name="source"/> resolves.</summary>
    public static IReadOnlyList<string> Unresolved(IEnumerable<Reference> references, IEnumerable<string> environmentVariables, string source)
    {
        var configurationKeys = environmentVariables.Select(v => v.Replace("__", ":", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return references
            .Where(r => !configurationKeys.Contains(r.Name))
            .Select(r => $"%{r.Name}% in {r.Where} does not resolve from {source}")
            .ToList();
    }

    // Pairs '%' left to right like NameResolverExtensions.ResolveWholeString; "%%" yields the empty name, which never resolves.
    private static IEnumerable<string> NamesIn(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => Placeholder().Matches(element.GetString()!).Select(m => m.Groups[1].Value),
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => NamesIn(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(NamesIn),
        _ => [],
    };

    [GeneratedRegex("%([^%]*)%")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"resource\s+appSettings\s+'[^']*'\s*=")]
    private static partial Regex AppSettingsResource();

    [GeneratedRegex(@"^\s*'?([\w.\-]+)'?\s*:", RegexOptions.Multiline)]
    private static partial Regex PropertyName();
}
