using System.Text.Json.Nodes;

namespace Serverless.Tests.Fuzz;

/// <summary>Generates the cases for one function from its driver's valid request.</summary>
internal static class FuzzCases
{
    private static readonly HashSet<string> InvalidHeaderLabels = ["empty", "non-ascii", "control", "lone-surrogate", "huge"];

    // Headers every function is sent as noise: the ones some function reads, so a reader that trusts them shows up.
    private static readonly string[] NoiseHeaders = ["If-Match", "Authorization", "Cookie", "Idempotency-Key", "Content-Type", "X-Forwarded-For"];

    public static IEnumerable<FuzzCase> For(FuzzDriver driver)
    {
        var valid = new FuzzCase("valid", false, driver.Route, QueryOf(driver.Query), Body(driver.Body), Headers(driver.Headers));
        yield return valid;

        foreach (var name in driver.Route.Keys)
        {
            foreach (var (label, value, invalid) in FuzzInputs.RouteValues)
            {
                var route = new Dictionary<string, string>(driver.Route) { [name] = value };
                var mustReject = invalid && !(driver.FreeRoute.Contains(name) && label == "huge");
                yield return valid with { Label = $"route {name}={label}", MustReject = mustReject, Route = route };
            }
        }

        foreach (var name in driver.Query.Keys.DefaultIfEmpty("unknown"))
        {
            foreach (var (label, encoded) in FuzzInputs.QueryValues)
            {
                var query = new Dictionary<string, string>(driver.Query) { [name] = encoded };
                yield return valid with { Label = $"query {name}={label}", MustReject = driver.RejectQuery.Contains($"{name}:{label}"), Query = QueryOf(query) };
            }

            var duplicated = QueryOf(driver.Query) + $"&{name}=1&{name}=2";
            yield return valid with { Label = $"query {name} duplicated", Query = duplicated };
        }

        yield return valid with { Label = "query bad encoding", Query = "%&=&&==%ZZ&%C3%28=%ED%A0%80" };

        foreach (var name in driver.Headers.Keys.Concat(NoiseHeaders).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            foreach (var (label, values) in FuzzInputs.HeaderValues)
            {
                var headers = new Dictionary<string, string[]>(valid.Headers, StringComparer.OrdinalIgnoreCase) { [name] = values };
                var mustReject = driver.RequiredHeaders.Contains(name) && (InvalidHeaderLabels.Contains(label) || values.Length > 1);
                yield return valid with { Label = $"header {name}={label}", MustReject = mustReject, Headers = headers };
            }
        }

        if (driver.Body is null)
        {
            // Functions that read no body must ignore whatever is sent.
            yield return valid with { Label = "unread body invalid-utf8", Body = [0xC3, 0x28] };
            yield return valid with { Label = "unread body content-length lie", Body = [], ContentLength = 1L << 40 };
            yield break;
        }

        yield return valid with { Label = "body content-length lie", MustReject = true, ContentLength = 1L << 40 };
        yield return valid with { Label = "body empty", Body = [] };
        yield return valid with { Label = "body with BOM", Body = [0xEF, 0xBB, 0xBF, .. valid.Body!] };
        foreach (var (label, body) in FuzzInputs.MalformedBodies())
        {
            yield return valid with { Label = $"body {label}", MustReject = true, Body = body };
        }

        foreach (var member in Target(JsonNode.Parse(driver.Body)!, driver.BodyIsArray).Select(p => p.Key).ToList())
        {
            foreach (var (label, json) in FuzzInputs.MemberValues)
            {
                var root = JsonNode.Parse(driver.Body)!;
                Target(root, driver.BodyIsArray)[member] = JsonNode.Parse(json);
                var mustReject = driver.RangedMembers.Contains(member) && FuzzInputs.ExtremeLabels.Contains(label);
                yield return valid with { Label = $"member {member}={label}", MustReject = mustReject, Body = FuzzCase.Utf8(root.ToJsonString()) };
            }

            // Text no member may hold, inside the member the function reads (not only in one it ignores).
            var marked = JsonNode.Parse(driver.Body)!;
            Target(marked, driver.BodyIsArray)[member] = Marker;
            var markedText = marked.ToJsonString();
            yield return valid with { Label = $"member {member}=lone-surrogate", MustReject = true, Body = FuzzCase.Utf8(markedText.Replace(Marker, "\\ud800", StringComparison.Ordinal)) };
            foreach (var (label, bytes) in BadUtf8)
            {
                var parts = markedText.Split(Marker);
                yield return valid with { Label = $"member {member}={label}", MustReject = true, Body = [.. FuzzCase.Utf8(parts[0]), .. bytes, .. FuzzCase.Utf8(parts[1])] };
            }

            var without = JsonNode.Parse(driver.Body)!;
            Target(without, driver.BodyIsArray).Remove(member);
            yield return valid with { Label = $"member {member} missing", Body = FuzzCase.Utf8(without.ToJsonString()) };

            // Duplicate members: System.Text.Json's DOM keeps the last, the serializer may keep either; neither may fail.
            var text = driver.Body.Replace($"\"{member}\":", $"\"{member}\":null,\"{member}\":", StringComparison.Ordinal);
            yield return valid with { Label = $"member {member} duplicated", Body = FuzzCase.Utf8(text) };
        }
    }

    private const string Marker = "fuzz-marker-7f3a";

    private static readonly (string Label, byte[] Bytes)[] BadUtf8 = [("invalid-utf8", [0xC3, 0x28]), ("cesu-surrogate", [0xED, 0xA0, 0x80]), ("overlong-utf8", [0xC0, 0xAF])];

    private static JsonObject Target(JsonNode root, bool isArray) => isArray ? root.AsArray()[0]!.AsObject() : root.AsObject();

    private static string QueryOf(IReadOnlyDictionary<string, string> query) => string.Join("&", query.Select(p => $"{p.Key}={p.Value}"));

    private static byte[]? Body(string? json) => json is null ? null : FuzzCase.Utf8(json);

    private static Dictionary<string, string[]> Headers(IReadOnlyDictionary<string, string> headers) =>
        headers.ToDictionary(h => h.Key, h => new[] { h.Value }, StringComparer.OrdinalIgnoreCase);
}
