namespace Serverless.Core.Search.Catalog;

/// <summary>Checks products before anything is enqueued, so a bad batch is refused whole with per-item errors.</summary>
public static class ProductValidator
{
    /// <summary>Most products one upsert request may carry.</summary>
    public const int MaxBatch = 1_000;

    /// <summary>Errors per item index; empty when every product is valid.</summary>
    public static IReadOnlyDictionary<int, IReadOnlyList<string>> Validate(IReadOnlyList<Product?> products)
    {
        ArgumentNullException.ThrowIfNull(products);
        var errors = new Dictionary<int, IReadOnlyList<string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < products.Count; i++)
        {
            var problems = Problems(products[i]).ToList();
            if (products[i] is { Id: { } id } && !seen.Add(id))
            {
                problems.Add($"duplicate id '{id}' in this batch");
            }

            if (problems.Count > 0)
            {
                errors[i] = problems;
            }
        }

        return errors;
    }

    /// <summary>True for ids that are safe as Table row keys and Lucene terms.</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static IEnumerable<string> Problems(Product? p)
    {
        if (p is null)
        {
            yield return "item is null";
            yield break;
        }

        if (!IsValidId(p.Id))
        {
            yield return "id must be 1-64 characters of A-Z, a-z, 0-9, '-', '_'";
        }

        if (string.IsNullOrWhiteSpace(p.Title) || p.Title.Length > 300)
        {
            yield return "title is required and at most 300 characters";
        }

        if (p.Description is null || p.Description.Length > 5_000)
        {
            yield return "description is required (may be empty) and at most 5000 characters";
        }

        if (string.IsNullOrWhiteSpace(p.Category) || p.Category.Length > 100)
        {
            yield return "category is required and at most 100 characters";
        }

        if (string.IsNullOrWhiteSpace(p.Brand) || p.Brand.Length > 100)
        {
            yield return "brand is required and at most 100 characters";
        }

        if (p.Price < 0 || p.Price > 10_000_000 || decimal.Round(p.Price, 2) != p.Price)
        {
            yield return "price must be between 0 and 10,000,000 with at most two decimals";
        }

        if (p.Tags is null || p.Tags.Count > 50 || p.Tags.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > 50))
        {
            yield return "tags must be a list of at most 50 non-empty tags of at most 50 characters";
        }
    }
}
