using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Search;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search.Query;
using Serverless.Functions.Http;

namespace Serverless.Functions.Search;

/// <summary>Cached product search and its warm-up.</summary>
public sealed class SearchFunctions(SearchService search, SearchWarmer warmer)
{
    [Function("Search")]
    public async Task<IActionResult> Search(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "search")] HttpRequest request, CancellationToken cancellationToken)
    {
        var q = request.Query;
        var (query, errors) = new SearchRequest(q["q"], q["category"], q["brand"], q["minPrice"], q["maxPrice"], q["sort"], q["page"], q["size"]).Parse();
        if (query is null)
        {
            return Problem.BadRequest(string.Join(" ", errors), new Dictionary<string, object?> { ["errors"] = errors });
        }

        SearchResponse response;
        try
        {
            response = await search.SearchAsync(query, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            // No cached result to fall back on and the index is unavailable (still loading, or failing).
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return Problem.Of(StatusCodes.Status503ServiceUnavailable, "Search unavailable", ex.Message);
        }

        var cache = SearchHttp.CacheLabel(response.Cache);
        request.HttpContext.Response.Headers["X-Cache"] = cache;
        var r = response.Result;
        return new JsonResult(new { query = r.Query, r.Total, r.Page, r.Size, r.Hits, tookMs = Math.Round(response.TookMs, 3), cache, r.CatalogVersion });
    }

    [Function("SearchWarmup")]
    public async Task<IActionResult> Warmup(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "search/warmup")] HttpRequest request, CancellationToken cancellationToken) =>
        new JsonResult(new { warmed = await warmer.WarmAsync(cancellationToken) });

    // Every minute by default (Search:WarmupSchedule): hot entries (5 min fresh) are replaced well before they expire.
    [Function("SearchWarmupTimer")]
    public Task WarmupTimer([TimerTrigger("%Search:WarmupSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        warmer.WarmAsync(cancellationToken);
}

internal static class SearchHttp
{
    public static string CacheLabel(CacheOutcome outcome) => outcome switch
    {
        CacheOutcome.HitL1 => "hit-l1",
        CacheOutcome.HitL2 => "hit-l2",
        CacheOutcome.Stale => "stale",
        _ => "miss",
    };
}
