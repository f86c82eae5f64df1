using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Serverless.Tests.Settings;

/// <summary>One setting: its configuration key, type, default, checks and XML doc summary.</summary>
internal sealed record Setting(string Key, string Type, string Default, IReadOnlyList<string> Checks, string? Summary);

/// <summary>An options class, its section and settings, and the messages its own validation can give.</summary>
internal sealed record OptionsClass(Type Type, string Section, string? Summary, IReadOnlyList<Setting> Settings, IReadOnlyList<string> Messages);

/// <summary>
/// Finds every options class: each type <c>AddServerless</c> configures as options (by any means), and each public
/// <c>*Options</c> class with a <c>Section</c> constant in the app's assemblies, so a class added later is listed
/// without touching this file.
/// </summary>
internal static class OptionsCatalog
{
    public static readonly Assembly[] AppAssemblies =
    [
        typeof(Serverless.Core.Hosting.RedisOptions).Assembly,
        typeof(Serverless.Orchestrations.Locks.EntityLockClient).Assembly,
        typeof(Serverless.Functions.Health.HealthFunction).Assembly,
    ];

    public static IReadOnlyList<Type> Types()
    {
        var services = new ServiceCollection().AddServerless(new ConfigurationBuilder().Build());
        var configured = services
            .Where(d => d.ServiceType.IsGenericType && d.ServiceType.GetGenericTypeDefinition() is var g
                && (g == typeof(IConfigureOptions<>) || g == typeof(IPostConfigureOptions<>) || g == typeof(IValidateOptions<>) || g == typeof(IOptionsChangeTokenSource<>)))
            .Select(d => d.ServiceType.GetGenericArguments()[0])
            .Where(t => AppAssemblies.Contains(t.Assembly));
        var declared = AppAssemblies.SelectMany(a => a.GetTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false } && t.Name.EndsWith("Options", StringComparison.Ordinal) && SectionOf(t) is not null);
        return [.. configured.Concat(declared).Distinct().OrderBy(SectionOf, StringComparer.Ordinal).ThenBy(t => t.Name, StringComparer.Ordinal)];
    }

    /// <summary>The class's <c>public const string Section</c>, or null.</summary>
    public static string? SectionOf(Type type) =>
        type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field ? field.GetRawConstantValue() as string : null;

    public static OptionsClass Describe(Type type, XmlDocs docs)
    {
        var section = SectionOf(type) ?? throw new InvalidOperationException(
            $"{type.FullName} is bound as options but has no 'public const string Section': add one naming its configuration section.");
        var settings = new List<Setting>();
        Add(settings, type, Activator.CreateInstance(type), section, docs, depth: 0);
        return new OptionsClass(type, section, docs.Summary(type), settings, ValidationMessages.Of(type));
    }

    private static void Add(List<Setting> settings, Type type, object? instance, string prefix, XmlDocs docs, int depth)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(Bindable).OrderBy(p => p.MetadataToken))
        {
            var key = $"{prefix}:{property.Name}";
            var value = instance is null ? null : property.GetValue(instance);
            var element = ElementOf(property.PropertyType);
            if (MapValueOf(property.PropertyType) is { } mapped)
            {
                // A map binds one entry per configuration child: the child's name is the entry's key.
                var names = value is IDictionary map && map.Count > 0 ? string.Join(", ", map.Keys.Cast<object>()) : "(none)";
                if (IsComplex(mapped) && depth < 3)
                {
                    settings.Add(new Setting(key, $"named {mapped.Name} entries ({key}:{MapKey}:…)", names, Checks(property), docs.Summary(property)));
                    Add(settings, mapped, TryCreate(mapped), $"{key}:{MapKey}", docs, depth + 1);
                }
                else
                {
                    settings.Add(new Setting(key, $"named {TypeName(mapped)} entries ({key}:{MapKey})", names, Checks(property), docs.Summary(property)));
                }
            }
            else if (element is not null && IsComplex(element) && depth < 3)
            {
                settings.Add(new Setting(key, $"list of {element.Name}", Default(value), Checks(property), docs.Summary(property)));
                Add(settings, element, TryCreate(element), key + ":{n}", docs, depth + 1);
            }
            else if (IsComplex(property.PropertyType) && depth < 3)
            {
                Add(settings, property.PropertyType, value, key, docs, depth + 1);
            }
            else
            {
                settings.Add(new Setting(key, TypeName(property.PropertyType), Default(value), Checks(property), docs.Summary(property)));
            }
        }
    }

    // What the configuration binder fills: settable properties, and get-only collections it adds to.
    private static bool Bindable(PropertyInfo p) =>
        p.GetIndexParameters().Length == 0 && p.GetMethod?.IsPublic == true
        && (p.SetMethod?.IsPublic == true || ElementOf(p.PropertyType) is not null);

    /// <summary>How a map's entry name is written in a key: <c>Records:Collections:{name}:Policy</c>.</summary>
    public const string MapKey = "{name}";

    /// <summary>The value type of a string-keyed dictionary (bound from named configuration children), or null.</summary>
    private static Type? MapValueOf(Type type) =>
        type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>)) is { } dictionary
        && dictionary.GetGenericArguments()[0] == typeof(string)
            ? dictionary.GetGenericArguments()[1]
            : null;

    private static Type? ElementOf(Type type) =>
        type != typeof(string) && type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)) is { } enumerable
            ? enumerable.GetGenericArguments()[0]
            : null;

    private static bool IsComplex(Type type) =>
        type.IsClass && type != typeof(string) && ElementOf(type) is null && type.GetConstructor(Type.EmptyTypes) is not null;

    private static object? TryCreate(Type type) => type.GetConstructor(Type.EmptyTypes) is not null ? Activator.CreateInstance(type) : null;

    private static string TypeName(Type type) => Nullable.GetUnderlyingType(type) is { } inner ? TypeName(inner) + " (optional)" : type switch
    {
        _ when type == typeof(string) => "string",
        _ when type == typeof(int) || type == typeof(long) => "integer",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "number",
        _ when type == typeof(bool) => "true/false",
        _ when type == typeof(TimeSpan) => "time span (d.hh:mm:ss)",
        { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(type)),
        _ when ElementOf(type) is { } element => $"list of {TypeName(element)} (Key:0, Key:1, …)",
        _ => type.Name,
    };

    private static string Default(object? value) => value switch
    {
        null => "(none)",
        "" => "(empty)",
        string s => s,
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items => items.Cast<object?>().ToList() is { Count: > 0 } list ? string.Join(", ", list.Select(Default)) : "(empty list)",
        _ => value.ToString() ?? "",
    };

    private static List<string> Checks(PropertyInfo property) =>
        [.. property.GetCustomAttributes<ValidationAttribute>().Select(a => a switch
        {
            RequiredAttribute => "required",
            RangeAttribute r => $"{r.Minimum} to {r.Maximum}",
            RegularExpressionAttribute r => r.ErrorMessage ?? $"matches {r.Pattern}",
            MinLengthAttribute m => $"at least {m.Length} long",
            MaxLengthAttribute m => $"at most {m.Length} long",
            StringLengthAttribute s => $"{s.MinimumLength} to {s.MaximumLength} characters",
            _ => a.ErrorMessage ?? a.GetType().Name.Replace("Attribute", "", StringComparison.Ordinal),
        })];
}
