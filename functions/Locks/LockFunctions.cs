using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Serverless.Core.Locking;
using Serverless.Functions.Http;
using Serverless.Orchestrations.Locks;

namespace Serverless.Functions.Locks;

/// <summary>
/// Locks over HTTP on two backends: <c>entity</c> (durable entity, FIFO waiters) and <c>redis</c>. Function key:
/// whoever can call these can make others wait, so they are for trusted callers.
/// </summary>
public sealed class LockFunctions(RedisLock redisLock, TimeProvider time, IOptions<LockingOptions> options)
{
    [Function("LockAction")]
    public async Task<IActionResult> Act(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "locks/{backend}/{name}/{action}")] HttpRequest request,
        string backend, string name, string action, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (Backend(backend, client) is not { } locks)
        {
            return UnknownBackend(backend);
        }

        if (action is not ("acquire" or "release" or "extend"))
        {
            return Problem.NotFound($"Unknown lock action '{action}': use acquire, release or extend.");
        }

        if (LockRules.CheckName(name) is { } badName)
        {
            return Problem.BadRequest(badName);
        }

        var (read, problem) = await LockHttp.ReadAsync(request, cancellationToken);
        if (read is not { } body)
        {
            return problem!;
        }

        if (LockHttp.Check(action, body, options.Value) is { } invalid)
        {
            return invalid;
        }

        try
        {
            var result = action switch
            {
                "acquire" => await locks.AcquireAsync(
                    name, body.Owner!, TimeSpan.FromMilliseconds(body.LeaseMs!.Value), TimeSpan.FromMilliseconds(body.WaitMs ?? 0), cancellationToken),
                "release" => await locks.ReleaseAsync(name, body.Owner!, body.Token!.Value, cancellationToken),
                _ => await locks.ExtendAsync(name, body.Owner!, body.Token!.Value, TimeSpan.FromMilliseconds(body.LeaseMs!.Value), cancellationToken),
            };
            return LockHttp.Answer(result);
        }
        catch (TimeoutException ex)
        {
            return LockHttp.Unavailable(ex);
        }
    }

    [Function("GetLock")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "locks/{backend}/{name}")] HttpRequest request,
        string backend, string name, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (Backend(backend, client) is not { } locks)
        {
            return UnknownBackend(backend);
        }

        return LockRules.CheckName(name) is { } badName
            ? Problem.BadRequest(badName)
            : new JsonResult(await locks.GetAsync(name, cancellationToken));
    }

    private IDistributedLock? Backend(string backend, DurableTaskClient client) => backend switch
    {
        "entity" => new EntityLockClient(client, time),
        "redis" => redisLock,
        _ => null,
    };

    private static ObjectResult UnknownBackend(string backend) =>
        Problem.NotFound($"Unknown lock backend '{backend}': use entity or redis.");
}
