using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Jobs;
using Serverless.Core.Storage;
using Serverless.Functions.Http;

namespace Serverless.Functions.Jobs;

/// <summary>
/// Dead jobs, at admin level (the master key): list them, replay one (<c>{"id"}</c>) or all (<c>{"all": true}</c>),
/// purge likewise. Replaying a job that already succeeded is a no-op that says so.
/// </summary>
public sealed class DeadJobFunctions(DeadJobs dead)
{
    private const int MaxBodyBytes = 1024;

    [Function("ListDeadJobs")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "jobs/dead")] HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = 50;
        var text = request.Query["limit"].ToString();
        if (text.Length > 0 && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > DeadJobs.MaxBatch))
        {
            return Problem.BadRequest($"'limit' must be a whole number from 1 to {DeadJobs.MaxBatch}.");
        }

        return await Guarded(async () =>
        {
            var jobs = await dead.ListAsync(limit, cancellationToken);
            return new JsonResult(new { count = jobs.Count, jobs = jobs.Select(JobView.Of) });
        });
    }

    [Function("ReplayDeadJobs")]
    public Task<IActionResult> Replay(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "jobs/dead/replay")] HttpRequest request, CancellationToken cancellationToken) =>
        ActAsync(request, id => dead.ReplayAsync(id, cancellationToken), () => dead.ReplayAllAsync(cancellationToken), cancellationToken);

    [Function("PurgeDeadJobs")]
    public Task<IActionResult> Purge(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "jobs/dead/purge")] HttpRequest request, CancellationToken cancellationToken) =>
        ActAsync(request, id => dead.PurgeAsync(id, cancellationToken), () => dead.PurgeAllAsync(cancellationToken), cancellationToken);

    private static async Task<IActionResult> ActAsync(
        HttpRequest request, Func<string, Task<DeadJobAction>> one, Func<Task<IReadOnlyList<DeadJobAction>>> all, CancellationToken cancellationToken)
    {
        var (body, problem) = await RequestBodies.ReadJsonAsync(request, MaxBodyBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var root = body!.Value;
        var id = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        var everything = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("all", out var a) && a.ValueKind == JsonValueKind.True;
        if ((id is null) == !everything || (id is not null && !JobIds.IsValid(id)))
        {
            return Problem.BadRequest("The body must be {\"id\": \"job-…\"} for one job or {\"all\": true} for every dead job.");
        }

        return await Guarded(async () =>
        {
            var actions = id is not null ? [await one(id)] : await all();
            if (id is not null && actions[0].Outcome == "not-found")
            {
                return JobHttp.NotFound(id);
            }

            return new JsonResult(new { count = actions.Count, jobs = actions.Select(x => new { id = x.Id, outcome = x.Outcome, replayCount = x.ReplayCount }) });
        });
    }

    private static async Task<IActionResult> Guarded(Func<Task<IActionResult>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (StorageOutage.Is(ex))
        {
            return JobHttp.StorageUnavailable();
        }
    }
}
