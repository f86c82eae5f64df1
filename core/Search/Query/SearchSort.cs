namespace Serverless.Core.Search.Query;

/// <summary>Result order.</summary>
public enum SearchSort
{
    /// <summary>Best match first.</summary>
    Relevance,

    /// <summary>Cheapest first.</summary>
    PriceAsc,

    /// <summary>Most expensive first.</summary>
    PriceDesc,

    /// <summary>Most recently updated first.</summary>
    Newest,
}
