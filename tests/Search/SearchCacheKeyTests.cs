using Serverless.Core.Search;
using Serverless.Core.Search.Query;
using Xunit;

namespace Serverless.Tests.Search;

public sealed class SearchCacheKeyTests
{
    // Pairs of different requests whose fields, joined with the key's own separators, spell the same text.
    public static TheoryData<SearchQuery, SearchQuery> CraftedCollisions => new()
    {
        { Query("a|c=b"), Query("a", category: "b|c=") },
        { Query("x|c=|b=y"), Query("x", brand: "y") },
        { Query("x", category: "y|b="), Query("x", brand: "|b=", category: "y") },
        { Query("p|p=1|n=20"), Query("p") },
        { Query("5:ab"), Query("ab") },
        { Query("-"), Query("-", category: "-") },
        { Query("x", category: ""), Query("x") },
    };

    [Theory]
    [MemberData(nameof(CraftedCollisions))]
    public void DifferentRequestsNeverShareACacheKey(SearchQuery first, SearchQuery second)
    {
        Assert.NotEqual(first, second);
        Assert.NotEqual(first.CanonicalKey, second.CanonicalKey);
        Assert.NotEqual(SearchService.Key(first, 7), SearchService.Key(second, 7));
    }

    [Fact]
    public void TheSameRequestKeepsItsKey() =>
        Assert.Equal(Query("a|c=b", category: "x").CanonicalKey, Query("a|c=b", category: "x").CanonicalKey);

    private static SearchQuery Query(string text, string? category = null, string? brand = null) =>
        new(text, category, brand, null, null, SearchSort.Relevance, 1, 20);
}
