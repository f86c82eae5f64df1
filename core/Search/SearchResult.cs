namespace Serverless.Core.Search;

/// <summary>One page of results, as cached (timing and cache outcome are added per response).</summary>
/// <param name="Query">The normalised query text.</param>
/// <param name="Total">All matches, not just this page.</param>
/// <param name="Page">1-based page.</param>
/// <param name="Size">Page size.</param>
/// <param name="Hits">This page.</param>
/// <param name="CatalogVersion">The catalog version the index had when this was computed.</param>
public sealed record SearchResult(string Query, int Total, int Page, int Size, IReadOnlyList<SearchHit> Hits, long CatalogVersion);

/// <summary>One result.</summary>
/// <param name="Id">Product id.</param>
/// <param name="Title">Title.</param>
/// <param name="Category">Category.</param>
/// <param name="Brand">Brand.</param>
/// <param name="Price">Price.</param>
/// <param name="Score">Relevance score (BM25).</param>
public sealed record SearchHit(string Id, string Title, string Category, string Brand, decimal Price, float Score);

/// <summary>Where a result came from.</summary>
public enum CacheOutcome
{
    /// <summary>This instance's memory.</summary>
    HitL1,

    /// <summary>Redis, computed by some instance.</summary>
    HitL2,

    /// <summary>Computed now from the index.</summary>
    Miss,

    /// <summary>The index failed; an expired result was served instead (fail-safe).</summary>
    Stale,
}

/// <summary>A result plus how it was obtained.</summary>
/// <param name="Result">The result.</param>
/// <param name="Cache">Where it came from.</param>
/// <param name="TookMs">Time spent answering.</param>
public sealed record SearchResponse(SearchResult Result, CacheOutcome Cache, double TookMs);

/// <summary>Source-generated JSON for cached results (faster Redis-layer reads).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(SearchResult))]
public sealed partial class SearchJson : System.Text.Json.Serialization.JsonSerializerContext;
