using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Serverless.Functions.OpenApi;

/// <summary>The OpenAPI 3.1 document of every HTTP route; anonymous, so clients can be generated from a deployment.</summary>
public sealed class OpenApiFunction
{
    [Function("OpenApi")]
    public IActionResult Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request) =>
        new ContentResult { Content = OpenApiDocumentBuilder.Text, ContentType = "application/json; charset=utf-8", StatusCode = StatusCodes.Status200OK };
}
