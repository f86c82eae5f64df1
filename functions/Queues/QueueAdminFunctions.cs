using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Messaging;
using Serverless.Functions.Http;

namespace Serverless.Functions.Queues;

/// <summary>
/// Queue and poison administration at admin level (the master key): replaying or purging changes what the app does,
/// so it is an operator's act. Only app queues (<see cref="AppQueues"/>) are listed or touched; any other name is 404.
/// </summary>
public sealed class QueueAdminFunctions(QueueAdmin admin, AppQueues queues)
{
    [Function("ListQueues")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "queues")] HttpRequest request, CancellationToken cancellationToken) =>
        new OkObjectResult(new { queues = await admin.ListAsync(cancellationToken) });

    [Function("PeekPoison")]
    public async Task<IActionResult> Peek(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "queues/{queue}/poison")] HttpRequest request, string queue, CancellationToken cancellationToken)
    {
        if (queues.Find(queue) is not { } known)
        {
            return UnknownQueue();
        }

        var max = 32;
        if (request.Query.TryGetValue("max", out var text) && (text.Count != 1 || !int.TryParse(text[0], System.Globalization.NumberStyles.None, null, out max) || max is < 1 or > 32))
        {
            return Problem.BadRequest("'max' is a whole number from 1 to 32 (Storage peeks at most 32 messages).");
        }

        var messages = await admin.PeekAsync(known, max, cancellationToken);
        return new OkObjectResult(new { queue = known.Name, messages = messages.Select(PoisonView.Of) });
    }

    [Function("ReplayPoison")]
    public async Task<IActionResult> Replay(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "queues/{queue}/poison/replay")] HttpRequest request, string queue, CancellationToken cancellationToken)
    {
        if (queues.Find(queue) is not { } known)
        {
            return UnknownQueue();
        }

        var id = request.Query.TryGetValue("messageId", out var ids) && ids.Count == 1 ? ids[0] : null;
        var all = request.Query.TryGetValue("all", out var flag) && flag.Count == 1 && flag[0] == "true";
        if ((id is null) == !all || (id is not null && (id.Length is 0 or > 100 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))))
        {
            return Problem.BadRequest("Name one poison message with '?messageId=<id>' (as GET .../poison lists it) or replay every one with '?all=true'.");
        }

        var result = await admin.ReplayAsync(known, id, cancellationToken);
        return result is null
            ? Problem.NotFound($"No poison message '{id}' in '{PoisonQueue.For(known.Name)}'.")
            : new OkObjectResult(new { queue = known.Name, replayed = result.Replayed, alreadyDone = result.AlreadyDone });
    }

    [Function("PurgePoison")]
    public async Task<IActionResult> Purge(
        [HttpTrigger(AuthorizationLevel.Admin, "delete", Route = "queues/{queue}/poison")] HttpRequest request, string queue, CancellationToken cancellationToken) =>
        queues.Find(queue) is { } known
            ? new OkObjectResult(new { queue = known.Name, purged = await admin.PurgeAsync(known, cancellationToken) })
            : UnknownQueue();

    private ObjectResult UnknownQueue() =>
        Problem.NotFound($"Not an app queue. App queues: {string.Join(", ", queues.All.Select(q => q.Name))}.");
}
