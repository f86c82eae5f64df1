using System.Globalization;

namespace Serverless.Core.Search.Query;

/// <summary>Raw search parameters as they arrive (strings), turned into a <see cref="SearchQuery"/> or a list of errors.</summary>
public sealed record SearchRequest(string? Q, string? Category = null, string? Brand = null, string? MinPrice = null, string? MaxPrice = null,
    string? Sort = null, string? Page = null, string? Size = null)
{
    /// <summary>The query, or every reason it is refused (never both).</summary>
    public (SearchQuery? Query, IReadOnlyList<string> Errors) Parse()
    {
        var errors = new List<string>();
        var text = Q is null ? "" : SearchQuery.Normalize(Q);
        if (text.Length == 0)
        {
            errors.Add("q is required and must not be blank.");
        }
        else if (text.Length > SearchQuery.MaxTextLength)
        {
            errors.Add($"q must be at most {SearchQuery.MaxTextLength} characters.");
        }

        var page = Int(Page, "page", 1, errors);
        var size = Int(Size, "size", 20, errors);
        if (size is < 1 or > SearchQuery.MaxSize)
        {
            errors.Add($"size must be between 1 and {SearchQuery.MaxSize}.");
        }

        if (page < 1)
        {
            errors.Add("page must be 1 or more.");
        }
        else if ((long)page * size > SearchQuery.MaxDepth)
        {
            errors.Add($"page * size must be at most {SearchQuery.MaxDepth}.");
        }

        var min = Price(MinPrice, "minPrice", errors);
        var max = Price(MaxPrice, "maxPrice", errors);
        if (min is not null && max is not null && min > max)
        {
            errors.Add("minPrice must not be greater than maxPrice.");
        }

        var sort = SearchSort.Relevance;
        if (!string.IsNullOrEmpty(Sort) && !SortNames.TryGetValue(Sort, out sort))
        {
            errors.Add($"sort must be one of {string.Join(", ", SortNames.Keys)}.");
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new SearchQuery(text, Filter(Category), Filter(Brand), min, max, sort, page, size), errors);
    }

    private static readonly Dictionary<string, SearchSort> SortNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["relevance"] = SearchSort.Relevance,
        ["price_asc"] = SearchSort.PriceAsc,
        ["price_desc"] = SearchSort.PriceDesc,
        ["newest"] = SearchSort.Newest,
    };

    private static string? Filter(string? value) => string.IsNullOrWhiteSpace(value) ? null : SearchQuery.Normalize(value);

    private static int Int(string? raw, string name, int fallback, List<string> errors)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return fallback;
        }

        if (int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add($"{name} must be an integer.");
        return fallback;
    }

    /// <summary>
    /// Highest price a filter may name: the catalog's own price ceiling (<c>ProductValidator</c>). Checked here because
    /// the index stores prices as long cents and a larger decimal overflows converting to them.
    /// </summary>
    public const decimal MaxPriceFilter = 10_000_000m;

    private static decimal? Price(string? raw, string name, List<string> errors)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        if (decimal.TryParse(raw, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= MaxPriceFilter)
        {
            return value;
        }

        errors.Add($"{name} must be a number between 0 and {MaxPriceFilter}.");
        return null;
    }
}
