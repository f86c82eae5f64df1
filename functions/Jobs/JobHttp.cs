using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Serverless.Core.Jobs;
using Serverless.Core.Storage;
using Serverless.Functions.Http;

namespace Serverless.Functions.Jobs;

/// <summary>HTTP mapping shared by the job functions.</summary>
internal static class JobHttp
{
    /// <summary>Where a job's state is read.</summary>
    public static string Location(string id) => $"/api/jobs/{id}";

    public static IActionResult Job(JobRecord job, int status) => new JsonResult(JobView.Of(job)) { StatusCode = status };

    public static IActionResult BadId() => Problem.BadRequest("A job id is 'job-' followed by 32 lower-case hex digits.");

    public static IActionResult NotFound(string id) => Problem.NotFound($"No job '{id}'.");

    // Caught here rather than left to DependencyOutageMiddleware only for the message, which names what is missing.
    public static IActionResult StorageUnavailable() =>
        Problem.ServiceUnavailable("Table storage, which holds the jobs, is unavailable.", StorageOutage.RetryAfter);

    /// <summary>The single Idempotency-Key header, or "" when missing, repeated or malformed.</summary>
    public static string IdempotencyKey(HttpRequest request)
    {
        var keys = request.Headers[Serverless.Core.Dispatch.ForwardRequest.IdempotencyKeyHeader];
        var key = keys.Count == 1 ? keys.ToString() : "";
        return JobIds.IsWellFormedKey(key) ? key : "";
    }
}
