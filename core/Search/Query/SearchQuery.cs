using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace Serverless.Core.Search.Query;

/// <summary>A validated, normalised search. Equivalent spellings of a search produce equal queries and the same cache key.</summary>
/// <param name="Text">Normalised text: NFKC (full-width to half-width), case-folded, trimmed, single spaces.</param>
/// <param name="Category">Category filter, case-folded, or null.</param>
/// <param name="Brand">Brand filter, case-folded, or null.</param>
/// <param name="MinPrice">Lowest price, or null.</param>
/// <param name="MaxPrice">Highest price, or null.</param>
/// <param name="Sort">Order.</param>
/// <param name="Page">1-based page.</param>
/// <param name="Size">Page size.</param>
public sealed record SearchQuery(string Text, string? Category, string? Brand, decimal? MinPrice, decimal? MaxPrice, SearchSort Sort, int Page, int Size)
{
    /// <summary>Longest accepted text.</summary>
    public const int MaxTextLength = 200;

    /// <summary>Largest page size.</summary>
    public const int MaxSize = 100;

    /// <summary>Deepest result reachable by paging.</summary>
    public const int MaxDepth = 10_000;

    /// <summary>Canonical form: the same for every equivalent request, with filters in a fixed order (computed once).</summary>
    [JsonIgnore]
    public string CanonicalKey { get; } = string.Create(CultureInfo.InvariantCulture,
        $"q={Text}|c={Category}|b={Brand}|min={MinPrice}|max={MaxPrice}|s={Sort}|p={Page}|n={Size}");

    /// <summary>Case-folds, converts full-width forms to half-width and collapses whitespace.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var folded = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var result = new StringBuilder(folded.Length);
        foreach (var c in folded)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                if (result.Length > 0 && result[^1] != ' ')
                {
                    result.Append(' ');
                }
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString().TrimEnd();
    }
}
