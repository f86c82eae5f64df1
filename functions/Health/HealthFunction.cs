using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serverless.Core.Health;

namespace Serverless.Functions.Health;

/// <summary>Liveness of the app's dependencies, for load balancers and humans.</summary>
public sealed class HealthFunction(HealthCheckService health)
{
    [Function("Health")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var summary = HealthSummary.From(await health.CheckHealthAsync(cancellationToken));
        return new JsonResult(summary) { StatusCode = summary.Ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable };
    }
}
