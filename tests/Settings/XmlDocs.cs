using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Serverless.Tests.Settings;

/// <summary>The <c>&lt;summary&gt;</c> of types and properties, from the XML documentation files beside the app's assemblies.</summary>
internal sealed partial class XmlDocs
{
    private readonly Dictionary<string, string> _summaries = new(StringComparer.Ordinal);

    public XmlDocs(IEnumerable<Assembly> assemblies)
    {
        foreach (var assembly in assemblies)
        {
            var file = Path.ChangeExtension(assembly.Location, ".xml");
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (var member in XDocument.Load(file).Descendants("member"))
            {
                if (member.Attribute("name")?.Value is { } name && member.Element("summary") is { } summary)
                {
                    _summaries[name] = Text(summary);
                }
            }
        }
    }

    public string? Summary(Type type) => _summaries.GetValueOrDefault("T:" + type.FullName?.Replace('+', '.'));

    public string? Summary(PropertyInfo property) =>
        _summaries.GetValueOrDefault($"P:{property.DeclaringType!.FullName?.Replace('+', '.')}.{property.Name}");

    // <see cref="T:X.Y"/> becomes Y, <c>x</c> becomes `x`, whitespace collapses to one space.
    private static string Text(XElement summary)
    {
        var parts = summary.Nodes().Select(node => node switch
        {
            XText text => text.Value,
            XElement { Name.LocalName: "see" or "seealso" } see => see.Attribute("cref")?.Value is { } cref ? cref[(cref.LastIndexOf('.') + 1)..] : see.Attribute("langword")?.Value ?? see.Value,
            XElement { Name.LocalName: "paramref" or "typeparamref" } p => p.Attribute("name")?.Value ?? "",
            XElement { Name.LocalName: "c" } c => $"`{c.Value}`",
            XElement e => e.Value,
            _ => "",
        });
        return Whitespace().Replace(string.Concat(parts), " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
