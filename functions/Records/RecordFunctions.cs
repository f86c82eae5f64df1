using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Records;

namespace Serverless.Functions.Records;

/// <summary>Cached records: <c>GET/PUT/DELETE /api/records/{collection}/{key}</c>, each collection with its write policy.</summary>
public sealed class RecordFunctions(RecordStore store)
{
    [Function("GetRecord")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "records/{collection}/{key}")] HttpRequest request,
        string collection, string key, CancellationToken cancellationToken)
    {
        if (RecordHttp.CheckNames(store, collection, key) is { } refused)
        {
            return refused;
        }

        return RecordHttp.Read(request, await store.GetAsync(collection, key, cancellationToken));
    }

    [Function("PutRecord")]
    public async Task<IActionResult> Put(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "records/{collection}/{key}")] HttpRequest request,
        string collection, string key, CancellationToken cancellationToken)
    {
        if (RecordHttp.CheckNames(store, collection, key) is { } refused)
        {
            return refused;
        }

        if (!RecordHttp.TryPrecondition(request, out var precondition))
        {
            return RecordHttp.BadPrecondition();
        }

        var (body, problem) = await RecordHttp.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        return RecordHttp.Written(request, await store.PutAsync(collection, key, body, precondition, cancellationToken), deleted: false);
    }

    [Function("DeleteRecord")]
    public async Task<IActionResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "records/{collection}/{key}")] HttpRequest request,
        string collection, string key, CancellationToken cancellationToken)
    {
        if (RecordHttp.CheckNames(store, collection, key) is { } refused)
        {
            return refused;
        }

        if (!RecordHttp.TryPrecondition(request, out var precondition))
        {
            return RecordHttp.BadPrecondition();
        }

        return RecordHttp.Written(request, await store.DeleteAsync(collection, key, precondition, cancellationToken), deleted: true);
    }
}
