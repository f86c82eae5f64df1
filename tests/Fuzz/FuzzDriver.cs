using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Serverless.Tests.Fuzz;

/// <summary>
/// How to call one HTTP function in-process, with a valid request to mutate. <see cref="Route"/>, <see cref="Query"/>,
/// <see cref="Body"/> and <see cref="Headers"/> are that valid request; the <c>Reject*</c> members name the mutations
/// that are out of range for this function in particular (beyond what every function must refuse).
/// </summary>
internal sealed record FuzzDriver(
    string Function,
    string Method,
    Func<FuzzApp, HttpRequest, IReadOnlyDictionary<string, string>, Task<IActionResult>> Invoke)
{
    public IReadOnlyDictionary<string, string> Route { get; init; } = new Dictionary<string, string>();

    /// <summary>Route values (by parameter) with no fixed grammar, where only text no identifier can hold is refused.</summary>
    public IReadOnlySet<string> FreeRoute { get; init; } = new HashSet<string>();

    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>();

    /// <summary>"param:label" pairs of <see cref="FuzzInputs.QueryValues"/> that must be refused.</summary>
    public IReadOnlySet<string> RejectQuery { get; init; } = new HashSet<string>();

    /// <summary>A valid JSON body, or null for functions that read none.</summary>
    public string? Body { get; init; }

    /// <summary>Where in <see cref="Body"/> the members to mutate are: the root object, or the first element of a root array.</summary>
    public bool BodyIsArray { get; init; }

    /// <summary>Numeric members whose extremes (<see cref="FuzzInputs.ExtremeLabels"/>) must be refused.</summary>
    public IReadOnlySet<string> RangedMembers { get; init; } = new HashSet<string>();

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Headers that must hold 1-200 visible ASCII characters, so empty, non-ASCII, control and huge values are refused.</summary>
    public IReadOnlySet<string> RequiredHeaders { get; init; } = new HashSet<string>();

    /// <summary>The function takes a durable client; accepted input ends at <see cref="UnreachableDurableClient"/>.</summary>
    public bool Durable { get; init; }
}
