using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Functions.Http;
using Serverless.Functions.Telemetry;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// After the ASP.NET Core integration's own middleware, so the HttpContext is there when a function fails.
builder.UseMiddleware<DependencyOutageMiddleware>();
builder.Services.AddServerless(builder.Configuration);
builder.Services.AddWorkerTelemetry(builder.Configuration);
await builder.Build().RunAsync();
