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

    /// <summary>
    /// Canonical form: the same for every equivalent request and different for every other one, with filters in a fixed
    /// order (computed once).
    /// </summary>
    // Free-text fields are length-prefixed ("5:hello", "-" for none): the text may hold the separators itself, and
    // without the lengths q="a|c=b" and q="a" with category "b|c=" built the same key and shared cached results.
    [JsonIgnore]
    public string CanonicalKey { get; } = string.Create(CultureInfo.InvariantCulture,
        $"q={Field(Text)}|c={Field(Category)}|b={Field(Brand)}|min={Field(MinPrice)}|max={Field(MaxPrice)}|s={Sort}|p={Page}|n={Size}");

    private static string Field(string? value) =>
        value is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{value.Length}:{value}");

    private static string Field(decimal? value) => value is null ? "-" : value.Value.ToString(CultureInfo.InvariantCulture);

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
