using System.Reflection;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;

namespace Serverless.Tests.Foundation;

/// <summary>
/// Compares the bindings the build generated (<c>functions.metadata</c>, what the host reads) with the
/// <c>[Function]</c> methods in the assembly. A fast guard for bindings; tests/Serverless.EndToEnd runs them under the real host.
/// </summary>
public static class FunctionMetadataCheck
{
    public sealed record Declared(string Name, string EntryPoint, string TriggerType);

    public static IReadOnlyList<Declared> DeclaredIn(Assembly assembly) =>
        assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>()))
            .Where(x => x.Function is not null)
            .Select(x => new Declared(x.Function!.Name, $"{x.Method.DeclaringType!.FullName}.{x.Method.Name}", TriggerTypeOf(x.Method)))
            .OrderBy(d => d.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>Every problem found; empty when metadata and code agree and HTTP routes are unique.</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<Declared> declared, JsonElement metadata)
    {
        var problems = new List<string>();
        var generated = metadata.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, StringComparer.Ordinal);
        foreach (var function in declared)
        {
            if (!generated.TryGetValue(function.Name, out var entry))
            {
                problems.Add($"[Function(\"{function.Name}\")] is missing from functions.metadata");
                continue;
            }

            if (entry.GetProperty("entryPoint").GetString() != function.EntryPoint)
            {
                problems.Add($"{function.Name}: entryPoint {entry.GetProperty("entryPoint")} != {function.EntryPoint}");
            }

            var triggers = Bindings(entry).Where(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal)).ToList();
            if (triggers.Count != 1 || triggers[0].GetProperty("type").GetString() != function.TriggerType)
            {
                problems.Add($"{function.Name}: expected one {function.TriggerType} binding, found [{string.Join(", ", triggers.Select(t => t.GetProperty("type").GetString()))}]");
            }
        }

        foreach (var extra in generated.Keys.Except(declared.Select(d => d.Name), StringComparer.Ordinal))
        {
            problems.Add($"functions.metadata has '{extra}' that no [Function] declares");
        }

        var routes = generated.Values
            .SelectMany(f => Bindings(f).Where(b => b.GetProperty("type").GetString() == "httpTrigger").Select(b => (Function: f.GetProperty("name").GetString(), Binding: b)))
            .SelectMany(x => Methods(x.Binding).Select(m => (x.Function, Key: $"{m} {NormalizedRoute(x.Binding)}")))
            .GroupBy(x => x.Key, StringComparer.OrdinalIgnoreCase)
            .Where(g => g.Count() > 1);
        problems.AddRange(routes.Select(g => $"HTTP route '{g.Key}' is declared by {string.Join(" and ", g.Select(x => x.Function))}"));
        return problems;
    }

    private static IEnumerable<JsonElement> Bindings(JsonElement function) => function.GetProperty("bindings").EnumerateArray();

    private static IEnumerable<string> Methods(JsonElement binding) =>
        binding.TryGetProperty("methods", out var methods) && methods.ValueKind == JsonValueKind.Array
            ? methods.EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant())
            : ["*"];

    // Parameter names do not make routes different: "a/{id}" and "a/{key}" collide.
    private static string NormalizedRoute(JsonElement binding)
    {
        var route = binding.TryGetProperty("route", out var r) ? r.GetString() ?? "" : "";
        return System.Text.RegularExpressions.Regex.Replace(route.Trim('/'), "{[^}]*}", "{}");
    }

    private static string TriggerTypeOf(MethodInfo method)
    {
        var trigger = method.GetParameters()
            .SelectMany(p => p.GetCustomAttributes())
            .Select(a => a.GetType().Name)
            .Single(n => n.EndsWith("TriggerAttribute", StringComparison.Ordinal));
        var name = trigger[..^"Attribute".Length];
        return char.ToLowerInvariant(name[0]) + name[1..];
    }
}
