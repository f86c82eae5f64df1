namespace Serverless.EndToEnd.Host;

/// <summary>Names the functions a scenario drives through the host; the coverage test reads these.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CoversAttribute(params string[] functions) : Attribute
{
    public IReadOnlyList<string> Functions { get; } = functions;
}
