using Serverless.Core.Search.Query;

namespace Serverless.Core.Search.Index;

/// <summary>Runs a query against this instance's index. The seam the cache calls on a miss.</summary>
public interface ISearchEngine
{
    /// <summary>Searches the index (CPU work; no I/O).</summary>
    SearchResult Search(SearchQuery query);
}
