using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Dispatch;
using Serverless.Functions.Http;

namespace Serverless.Functions.Dispatch;

/// <summary>
/// Pool management, at admin level (the master key): a pool decides where the app's own network identity sends
/// requests, so defining one is an operator's act, separate from forwarding through it (function key). Targets must
/// pass <see cref="TargetAllowlist"/>. The host does not rank literal segments above parameters: it tries routes in
/// function-name order, so the forwarding route's constraint (<c>{pool}</c> is never <c>pools</c>) is what keeps these
/// requests here, and no pool may be named <c>pools</c>.
/// </summary>
public sealed class DispatchPoolFunctions(DispatchStore store, TargetAllowlist allowlist)
{
    private const int MaxPoolBytes = 64 * 1024;

    [Function("PutDispatchPool")]
    public async Task<IActionResult> Put(
        [HttpTrigger(AuthorizationLevel.Admin, "put", Route = "dispatch/pools/{pool}")] HttpRequest request, string pool, CancellationToken cancellationToken)
    {
        if (!PoolName.IsValid(pool))
        {
            return Problem.BadRequest(PoolName.Rule);
        }

        var (body, problem) = await RequestBodies.ReadJsonAsync(request, MaxPoolBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var (definition, error) = PoolDefinitionParser.Parse(body!.Value);
        if (definition is null)
        {
            return Problem.BadRequest(error!);
        }

        var refused = definition.Targets.Select(allowlist.Refusal).OfType<string>().ToList();
        if (refused.Count > 0)
        {
            return Problem.BadRequest(string.Join(" ", refused));
        }

        var created = await store.SaveAsync(pool, definition);
        var view = await store.GetAsync(pool);
        return view is null ? Problem.NotFound("The pool was deleted meanwhile.") : DispatchHttp.PoolResult(view, created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    [Function("GetDispatchPool")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "dispatch/pools/{pool}")] HttpRequest request, string pool)
    {
        if (!PoolName.IsValid(pool))
        {
            return Problem.BadRequest(PoolName.Rule);
        }

        return await store.GetAsync(pool) is { } view ? DispatchHttp.PoolResult(view, StatusCodes.Status200OK) : DispatchHttp.UnknownPool(pool);
    }

    [Function("DeleteDispatchPool")]
    public async Task<IActionResult> Delete(
        [HttpTrigger(AuthorizationLevel.Admin, "delete", Route = "dispatch/pools/{pool}")] HttpRequest request, string pool)
    {
        if (!PoolName.IsValid(pool))
        {
            return Problem.BadRequest(PoolName.Rule);
        }

        return await store.DeleteAsync(pool) ? new NoContentResult() : DispatchHttp.UnknownPool(pool);
    }
}
