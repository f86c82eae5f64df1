namespace Serverless.Core.Search.Catalog;

/// <summary>A catalog product, as stored in Table storage (the source of truth) and indexed for search.</summary>
/// <param name="Id">Stable id: 1-64 characters of A-Z, a-z, 0-9, '-', '_'.</param>
/// <param name="Title">Title in Chinese, English or both.</param>
/// <param name="Description">Longer text in Chinese, English or both.</param>
/// <param name="Category">Category used as an exact filter.</param>
/// <param name="Brand">Brand used as an exact filter.</param>
/// <param name="Price">Price, 0 or more, at most two decimals.</param>
/// <param name="Tags">Free tags, searched like text.</param>
/// <param name="UpdatedAt">Last change; the "newest" sort uses it.</param>
public sealed record Product(
    string Id,
    string Title,
    string Description,
    string Category,
    string Brand,
    decimal Price,
    IReadOnlyList<string> Tags,
    DateTimeOffset UpdatedAt);
