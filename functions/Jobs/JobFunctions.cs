using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Serverless.Core.Jobs;
using Serverless.Core.Storage;
using Serverless.Functions.Http;

namespace Serverless.Functions.Jobs;

/// <summary>
/// Submit a job and read its state. Function key: a job is forwarded with the app's own network identity. The host
/// tries overlapping routes in function-name order (azure-functions-host issues 9876, 3153) and GetJob sorts before
/// ListDeadJobs, so the id route's constraint (never <c>dead</c>) is what keeps <c>jobs/dead</c> for the admin list.
/// </summary>
public sealed class JobFunctions(JobSubmitter submitter, JobStore store)
{
    [Function("SubmitJob")]
    public async Task<IActionResult> Submit(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "jobs")] HttpRequest request, CancellationToken cancellationToken)
    {
        var key = JobHttp.IdempotencyKey(request);
        if (key.Length == 0)
        {
            return Problem.BadRequest("The Idempotency-Key header is required: one value of 1-200 visible ASCII characters.");
        }

        var (body, problem) = await RequestBodies.ReadJsonAsync(request, submitter.Options.MaxPayloadBytes + 4096, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var (job, error) = JobRequest.Parse(body!.Value, submitter.Options);
        if (job is null)
        {
            return Problem.BadRequest(error!);
        }

        try
        {
            var result = await submitter.SubmitAsync(key, job, cancellationToken);
            if (result.Status == SubmitStatus.KeyReused)
            {
                return Problem.Of(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
                    $"The Idempotency-Key was already used for a different job ({JobHttp.Location(result.Job.Id)}).");
            }

            request.HttpContext.Response.Headers.Location = JobHttp.Location(result.Job.Id);
            return JobHttp.Job(result.Job, result.Status == SubmitStatus.Created ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
        }
        catch (Exception ex) when (StorageOutage.Is(ex))
        {
            return JobHttp.StorageUnavailable();
        }
    }

    [Function("GetJob")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "jobs/{id:regex(^(?!dead$))}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (!JobIds.IsValid(id))
        {
            return JobHttp.BadId();
        }

        try
        {
            return await store.GetAsync(id, cancellationToken) is { } job ? JobHttp.Job(job, StatusCodes.Status200OK) : JobHttp.NotFound(id);
        }
        catch (Exception ex) when (StorageOutage.Is(ex))
        {
            return JobHttp.StorageUnavailable();
        }
    }
}
