using System.Text;

namespace Serverless.Tests.Settings;

/// <summary>Writes docs/settings.md from the options classes.</summary>
internal static class SettingsMarkdown
{
    public const string RegenCommand = "UPDATE_DOCS=1 dotnet test tests/Serverless.Tests.csproj --filter \"FullyQualifiedName~SettingsReferenceTests\"";

    public static string Render(IReadOnlyList<OptionsClass> classes)
    {
        var md = new StringBuilder();
        md.Append("# Settings reference\n\n")
            .Append("Generated from the options classes by `tests/Settings/SettingsReferenceTests.cs`; do not edit by hand. After changing an\n")
            .Append("options class, regenerate with:\n\n")
            .Append("```sh\n").Append(RegenCommand).Append("\n```\n\n")
            .Append("Keys are configuration paths. As app settings or environment variables write `:` as `__`\n")
            .Append("(`Redis__ConnectionString`); list entries are numbered (`Dispatch__AllowedHosts__0`). Every class is validated when the\n")
            .Append("host starts, and a failure names the setting to fix.\n\n");
        foreach (var options in classes)
        {
            md.Append("## ").Append(options.Section).Append(" (`").Append(options.Type.Name).Append("`)\n\n");
            if (options.Summary is { } summary)
            {
                md.Append(summary).Append("\n\n");
            }

            md.Append("| Setting | Type | Default | Validation | Description |\n| --- | --- | --- | --- | --- |\n");
            var mentioned = new HashSet<string>(StringComparer.Ordinal);
            foreach (var setting in options.Settings)
            {
                // A message about a setting inside this one (Records:Collections:…:Policy) goes to that row only.
                var messages = options.Messages.Where(m => Mentions(m, setting.Key)
                    && !options.Settings.Any(inner => inner.Key.StartsWith(setting.Key + ":", StringComparison.Ordinal) && Mentions(m, inner.Key))).ToList();
                mentioned.UnionWith(messages);
                var checks = setting.Checks.Concat(messages).ToList();
                md.Append("| `").Append(setting.Key).Append("` | ").Append(Cell(setting.Type)).Append(" | ").Append(Cell(setting.Default))
                    .Append(" | ").Append(checks.Count == 0 ? "" : string.Join("<br>", checks.Select(Cell)))
                    .Append(" | ").Append(Cell(setting.Summary ?? "")).Append(" |\n");
            }

            var general = options.Messages.Where(m => !mentioned.Contains(m)).ToList();
            if (general.Count > 0)
            {
                md.Append("\nAlso checked at start-up:\n\n");
                foreach (var message in general)
                {
                    md.Append("- ").Append(message.Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
                }
            }

            md.Append('\n');
        }

        return md.ToString().TrimEnd('\n') + "\n";
    }

    // A message names a setting by its full key; a key inside a longer one (Timeout in ProbeTimeout) does not count.
    private static bool Mentions(string message, string key)
    {
        // A message about a named entry shows the name as a hole: 'Records:Collections:…:Policy'.
        if (key.Contains(OptionsCatalog.MapKey, StringComparison.Ordinal) && Mentions(message, key.Replace(OptionsCatalog.MapKey, "…", StringComparison.Ordinal)))
        {
            return true;
        }

        for (var at = message.IndexOf(key, StringComparison.Ordinal); at >= 0; at = message.IndexOf(key, at + 1, StringComparison.Ordinal))
        {
            var end = at + key.Length;
            if (end == message.Length || !char.IsLetterOrDigit(message[end]))
            {
                return true;
            }
        }

        return false;
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
