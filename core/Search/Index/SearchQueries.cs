using Lucene.Net.Analysis;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Serverless.Core.Search.Query;

namespace Serverless.Core.Search.Index;

/// <summary>
/// Turns a <see cref="SearchQuery"/> into Lucene queries built from analyzed terms, never from query syntax, so
/// user text like <c>title:(a OR b)*</c> is just words.
/// </summary>
internal static class SearchQueries
{
    private static readonly Dictionary<string, float> Boosts = new(StringComparer.Ordinal)
    {
        ["title_zh"] = 3, ["title_en"] = 3, ["tags_zh"] = 1.5f, ["tags_en"] = 1.5f, ["description_zh"] = 1, ["description_en"] = 1,
    };

    /// <summary>Every term must match (in some field of one language); null when the text has no searchable terms.</summary>
    public static Lucene.Net.Search.Query? Build(Analyzer analyzer, SearchQuery query)
    {
        var text = new BooleanQuery();
        foreach (var fields in new[] { ProductDocuments.ChineseFields, ProductDocuments.EnglishFields })
        {
            var terms = SearchAnalyzers.Terms(analyzer, fields[0], query.Text);
            if (terms.Count == 0)
            {
                continue;
            }

            var all = new BooleanQuery();
            foreach (var term in terms)
            {
                var any = new BooleanQuery();
                foreach (var field in fields)
                {
                    any.Add(new TermQuery(new Term(field, term)) { Boost = Boosts[field] }, Occur.SHOULD);
                }

                all.Add(any, Occur.MUST);
            }

            text.Add(all, Occur.SHOULD);
        }

        if (text.Clauses.Count == 0)
        {
            return null;
        }

        var filters = new BooleanQuery();
        if (query.Category is not null)
        {
            filters.Add(new TermQuery(new Term(ProductDocuments.Category, query.Category)), Occur.MUST);
        }

        if (query.Brand is not null)
        {
            filters.Add(new TermQuery(new Term(ProductDocuments.Brand, query.Brand)), Occur.MUST);
        }

        if (query.MinPrice is not null || query.MaxPrice is not null)
        {
            filters.Add(NumericRangeQuery.NewInt64Range(ProductDocuments.Price,
                query.MinPrice is { } min ? ProductDocuments.ToCents(min) : null,
                query.MaxPrice is { } max ? ProductDocuments.ToCents(max) : null, true, true), Occur.MUST);
        }

        // Filters narrow the matches without changing their scores.
        return filters.Clauses.Count == 0 ? text : new FilteredQuery(text, new QueryWrapperFilter(filters));
    }

    public static Sort? SortFor(SearchSort sort) => sort switch
    {
        SearchSort.PriceAsc => new Sort(new SortField(ProductDocuments.PriceSort, SortFieldType.INT64, false)),
        SearchSort.PriceDesc => new Sort(new SortField(ProductDocuments.PriceSort, SortFieldType.INT64, true)),
        SearchSort.Newest => new Sort(new SortField(ProductDocuments.UpdatedSort, SortFieldType.INT64, true)),
        _ => null,
    };
}
