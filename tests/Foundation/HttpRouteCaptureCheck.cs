using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Constraints;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Serverless.Tests.Foundation;

/// <summary>
/// Replays, for every HTTP route in <c>functions.metadata</c>, sample requests through a router built the way the
/// Functions host builds its own, and reports each request that another function captures. Distinct templates can
/// still overlap (<c>dispatch/{pool}/{*path}</c> swallows <c>dispatch/pools/{pool}</c>), which the duplicate-route
/// check and the host's own conflict check (equal templates only) cannot see.
/// </summary>
public static class HttpRouteCaptureCheck
{
    private const string FunctionToken = "function";

    // A route without a method list accepts any method; these are the ones worth trying against it.
    private static readonly string[] AnyMethod = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    // The first candidate a parameter's own constraints accept becomes its sample value.
    private static readonly string[] SampleCandidates = ["sample", "42", "true", "2024-01-01", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"];

    public sealed record HttpRoute(string Function, string Template, IReadOnlyList<string>? Methods);

    /// <summary>The HTTP routes in the order the host registers them: WebJobs.Script's FunctionMetadataManager sorts
    /// functions by name with <see cref="StringComparer.OrdinalIgnoreCase"/>, and WebScriptHostHttpRoutesManager maps
    /// them in that order; a missing route defaults to the function name.</summary>
    public static IReadOnlyList<HttpRoute> RoutesIn(JsonElement metadata) =>
        metadata.EnumerateArray()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray()
                .Where(b => b.GetProperty("type").GetString() == "httpTrigger")
                .Select(b => RouteOf(f.GetProperty("name").GetString()!, b)))
            .OrderBy(r => r.Function, StringComparer.OrdinalIgnoreCase)
            .ToList();

    /// <summary>One line per sample request that does not reach the function whose route it was made from.</summary>
    public static async Task<IReadOnlyList<string>> ProblemsAsync(JsonElement metadata)
    {
        // AddRouting gives the same DefaultInlineConstraintResolver and constraint map (regex included) the host uses.
        await using var services = new ServiceCollection().AddRouting().AddLogging().BuildServiceProvider();
        var resolver = services.GetRequiredService<IInlineConstraintResolver>();
        var routes = RoutesIn(metadata);
        var router = HostRouter(routes, resolver);

        var problems = new List<string>();
        foreach (var route in routes)
        {
            var paths = SamplePaths(route, resolver, problems);
            foreach (var method in route.Methods ?? AnyMethod)
            {
                foreach (var path in paths)
                {
                    var winner = await FirstMatchAsync(router, services, method, path);
                    if (winner != route.Function)
                    {
                        problems.Add(winner is null
                            ? $"{method} /{path} (meant for {route.Function}) reaches no function"
                            : $"{method} /{path} (meant for {route.Function}) is captured by {winner}");
                    }
                }
            }
        }

        return problems;
    }

    private static HttpRoute RouteOf(string function, JsonElement binding)
    {
        var route = binding.TryGetProperty("route", out var r) ? r.GetString() : null;
        var methods = binding.TryGetProperty("methods", out var m) && m.ValueKind == JsonValueKind.Array
            ? m.EnumerateArray().Select(x => x.GetString()!.ToUpperInvariant()).ToList()
            : null;
        return new HttpRoute(function, string.IsNullOrEmpty(route) ? function : route, methods);
    }

    // Mirrors WebJobsRouteBuilder.MapFunctionRoute: a legacy Route per function in one RouteCollection (first match
    // wins), with the methods as an HttpMethodRouteConstraint, so a route only captures the methods it declares.
    // The host's route prefix ("api") is common to every function route, so it cannot change the winner and is left out.
    private static RouteCollection HostRouter(IEnumerable<HttpRoute> routes, IInlineConstraintResolver resolver)
    {
        var collection = new RouteCollection();
        foreach (var route in routes)
        {
            var constraints = new Dictionary<string, object>();
            if (route.Methods is not null)
            {
                constraints.Add("httpMethod", new HttpMethodRouteConstraint([.. route.Methods]));
            }

            var handler = new RouteHandler(_ => Task.CompletedTask);
            collection.Add(new Route(handler, route.Function, route.Template, null, constraints,
                new RouteValueDictionary { [FunctionToken] = route.Function }, resolver));
        }

        return collection;
    }

    private static async Task<string?> FirstMatchAsync(IRouter router, IServiceProvider services, string method, string path)
    {
        var http = new DefaultHttpContext { RequestServices = services };
        http.Request.Method = method;
        http.Request.Path = "/" + path;
        var context = new RouteContext(http);
        await router.RouteAsync(context);
        return context.Handler is null ? null : (string?)context.RouteData.DataTokens[FunctionToken];
    }

    // Every combination of segment alternatives: catch-alls with one and two segments, optional parameters also left out.
    private static List<string> SamplePaths(HttpRoute route, IInlineConstraintResolver resolver, List<string> problems)
    {
        var paths = new List<string> { "" };
        foreach (var segment in RoutePatternFactory.Parse(route.Template).PathSegments)
        {
            var alternatives = new List<string?>();
            if (segment.IsSimple && segment.Parts[0] is RoutePatternParameterPart parameter)
            {
                var value = SampleValue(parameter, resolver);
                if (value is null)
                {
                    problems.Add($"{route.Function}: no sample value satisfies the constraints of {{{parameter.Name}}} in '{route.Template}'");
                    return [];
                }

                alternatives.Add(value);
                if (parameter.IsCatchAll)
                {
                    alternatives.Add($"{value}/{value}");
                }
                else if (parameter.IsOptional || parameter.Default is not null)
                {
                    alternatives.Add(null);
                }
            }
            else
            {
                alternatives.Add(string.Concat(segment.Parts.Select(part => part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    RoutePatternParameterPart p => SampleValue(p, resolver) ?? p.Name,
                    _ => throw new NotSupportedException(part.GetType().Name),
                })));
            }

            paths = [.. paths.SelectMany(p => alternatives.Select(a => a is null ? p : p.Length == 0 ? a : $"{p}/{a}"))];
        }

        return paths;
    }

    private static string? SampleValue(RoutePatternParameterPart parameter, IInlineConstraintResolver resolver)
    {
        var constraints = parameter.ParameterPolicies
            .Select(p => p.Content is null ? null : resolver.ResolveConstraint(p.Content))
            .OfType<IRouteConstraint>()
            .ToList();
        return SampleCandidates.FirstOrDefault(candidate => constraints.All(c =>
            c.Match(null, null, parameter.Name, new RouteValueDictionary { [parameter.Name] = candidate }, RouteDirection.IncomingRequest)));
    }
}
