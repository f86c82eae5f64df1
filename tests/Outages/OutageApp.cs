using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;
using Serverless.Core.Records;
using Serverless.Functions.Dispatch;
using Serverless.Functions.Health;
using Serverless.Functions.Http;
using Serverless.Functions.Locks;
using Serverless.Functions.Sessions;
using Serverless.Testing;

namespace Serverless.Tests.Outages;

/// <summary>An app instance (see <see cref="TestApp"/>) on a Redis or an Azurite of its own, with its log kept for assertions.</summary>
internal sealed class OutageApp(IHost host, string prefix) : TestApp(host, prefix)
{
    public SessionFunctions Sessions => Create<SessionFunctions>();

    public LockFunctions Locks => Create<LockFunctions>();

    public DispatchForwardFunction Forward => Create<DispatchForwardFunction>();

    public DispatchPoolFunctions Pools => Create<DispatchPoolFunctions>();

    public HealthFunction Health => new(Get<HealthCheckService>());

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    public static async Task<OutageApp> StartAsync(ServicesFixture services, OwnRedisServer redis, Dictionary<string, string?>? settings = null)
    {
        var prefix = NewPrefix();
        var all = new Dictionary<string, string?>(settings ?? []) { ["Redis:ConnectionString"] = redis.ConnectionString, ["Dispatch:AllowedNetworks:0"] = "127.0.0.1/32" };
        return new OutageApp(await StartHostAsync(services, prefix, all, configure: s => s.AddFakeLogging()), prefix);
    }

    /// <summary>
    /// An app over <paramref name="storage"/> and the run's shared Redis, with one record collection per write policy
    /// (named after the policy) and <paramref name="configure"/> for extra registrations.
    /// </summary>
    public static async Task<OutageApp> StartAsync(
        ServicesFixture services, OwnAzuriteServer storage, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var prefix = NewPrefix();
        var all = new Dictionary<string, string?> { ["AzureWebJobsStorage"] = storage.ConnectionString, ["Dispatch:AllowedNetworks:0"] = "127.0.0.1/32" };
        foreach (var policy in WritePolicies.Names)
        {
            all[$"Records:Collections:{policy}:Policy"] = policy;
        }

        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        return new OutageApp(await StartHostAsync(services, prefix, all, configure: s =>
        {
            s.AddFakeLogging();
            configure?.Invoke(s);
        }), prefix);
    }

    /// <summary>Calls an HTTP function through this app's <see cref="DependencyOutageMiddleware"/>, as the worker would.</summary>
    public Task<ActionResults.Response> CallAsync(HttpRequest request, Func<Task<IActionResult>> function) =>
        WorkerPipeline.RunAsync(request, function, Create<DependencyOutageMiddleware>());
}
