using System.Diagnostics.Metrics;

namespace Serverless.Core.Telemetry;

/// <summary>
/// Meter <c>Serverless.Search</c>: searches that reached this instance's Lucene index (every cache layer missed). The
/// query text is never a tag: it is user input of unbounded cardinality.
/// </summary>
public static class SearchMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Serverless.Search";

    private static readonly Meter Meter = new(MeterName, ServerlessTelemetry.Version);

    /// <summary><c>serverless.search.index_searches</c> ({search}): searches answered by the index itself.</summary>
    public static readonly Counter<long> IndexSearches = Meter.CreateCounter<long>(
        "serverless.search.index_searches", "{search}", "Searches that reached the Lucene index because no cache layer had the answer.");

    /// <summary>Counts a search the index answered.</summary>
    public static void IndexSearched() => IndexSearches.Add(1);
}
