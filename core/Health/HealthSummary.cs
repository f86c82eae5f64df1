using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Serverless.Core.Health;

/// <summary>What <c>GET /api/health</c> answers: overall state and one entry per dependency.</summary>
public sealed record HealthSummary(bool Ok, IReadOnlyList<DependencyHealth> Dependencies)
{
    /// <summary>Flattens a health report into per-dependency entries.</summary>
    public static HealthSummary From(HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var entries = report.Entries
            .Select(e => new DependencyHealth(
                e.Key,
                e.Value.Status == HealthStatus.Healthy,
                Math.Round(e.Value.Duration.TotalMilliseconds, 1),
                e.Value.Status == HealthStatus.Healthy ? null : e.Value.Description ?? e.Value.Exception?.Message ?? e.Value.Status.ToString()))
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        return new HealthSummary(entries.All(e => e.Ok), entries);
    }
}

/// <summary>One dependency's health.</summary>
public sealed record DependencyHealth(string Name, bool Ok, double LatencyMs, string? Error);
