using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Core.Dispatch;
using Serverless.Core.Jobs;
using Serverless.Functions.Jobs;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Jobs;

/// <summary>
/// A jobs app instance (see <see cref="TestApp"/>) over its own jobs table and queue; <see cref="StartSharingAsync"/>
/// makes a second instance of the same app (same Redis prefix, table and queue), as a second Functions instance.
/// Leases, backoff and the sweep threshold are short so crash recovery fits a test, with margin for a busy machine.
/// </summary>
internal sealed class JobApp(IHost host, string prefix, string name) : TestApp(host, prefix)
{
    /// <summary>The name shared by the instances of one app: table <c>jobs{name}</c>, queue <c>jobs-{name}</c>.</summary>
    public string Name { get; } = name;

    public JobStore Store => Get<JobStore>();

    public JobSubmitter Submitter => Get<JobSubmitter>();

    public JobRunner Runner => Get<JobRunner>();

    public DeadJobs Dead => Get<DeadJobs>();

    public JobFunctions Functions => Create<JobFunctions>();

    public DeadJobFunctions DeadFunctions => Create<DeadJobFunctions>();

    public static Task<JobApp> StartAsync(
        ServicesFixture services, Dictionary<string, string?>? settings = null, JobFaults? faults = null, Action<IServiceCollection>? configure = null) =>
        StartSharingAsync(services, NewPrefix(), Guid.NewGuid().ToString("N")[..10], settings, faults, configure);

    public static async Task<JobApp> StartSharingAsync(
        ServicesFixture services, string prefix, string name, Dictionary<string, string?>? settings = null, JobFaults? faults = null,
        Action<IServiceCollection>? configure = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Dispatch:AllowedNetworks:0"] = "127.0.0.1/32",
            // Failures are what these tests inject; ejecting the targets for them would only slow the retries down.
            ["Dispatch:FailureThreshold"] = "1000",
            ["Jobs:Table"] = "jobs" + name,
            ["Jobs:Queue"] = "jobs-" + name,
            ["Jobs:LeaseDuration"] = "00:00:03",
            ["Jobs:BackoffBase"] = "00:00:00.100",
            ["Jobs:BackoffCap"] = "00:00:01",
            ["Jobs:StuckAfter"] = "00:00:06",
            // A crashed look at a job is retried by the pipeline: as soon as it allows (whole seconds, 5 s claims).
            ["Messaging:Consumers:jobs:BackoffBase"] = "00:00:01",
            ["Messaging:Consumers:jobs:BackoffCap"] = "00:00:02",
            ["Messaging:Consumers:jobs:ClaimLease"] = "00:00:05",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var host = await StartHostAsync(services, prefix, all, configure: s =>
        {
            if (faults is not null)
            {
                s.AddSingleton(faults);
            }

            configure?.Invoke(s);
        });
        return new JobApp(host, prefix, name);
    }

    /// <summary>A pool of <paramref name="backends"/> under <paramref name="pool"/>.</summary>
    public async Task SavePoolAsync(string pool, params Backend[] backends)
    {
        var targets = string.Join(",", backends.Select(b => $$"""{"id":"{{b.Name}}","url":"{{b.Url}}"}"""));
        using var document = JsonDocument.Parse($$"""{"policy":"round-robin","targets":[{{targets}}]}""");
        var (definition, error) = PoolDefinitionParser.Parse(document.RootElement);
        Assert.True(definition is not null, error);
        await Get<DispatchStore>().SaveAsync(pool, definition!);
    }

    /// <summary>Submits through the HTTP function, as a client would.</summary>
    public async Task<ActionResults.Response> SubmitAsync(string key, string json, CancellationToken ct)
    {
        var request = ActionResults.Request("POST", body: json, headers: new Dictionary<string, string> { [ForwardRequest.IdempotencyKeyHeader] = key });
        return await ActionResults.ExecuteAsync(await Functions.Submit(request, ct), request);
    }

    /// <summary>The job's state through the HTTP function.</summary>
    public async Task<JsonElement> GetJobAsync(string id, CancellationToken ct)
    {
        var request = ActionResults.Request();
        var response = await ActionResults.ExecuteAsync(await Functions.Get(request, id, ct), request);
        Assert.Equal(StatusCodes.Status200OK, response.Status);
        return JsonDocument.Parse(response.Body).RootElement.Clone();
    }

    /// <summary>Polls until the job is finished (succeeded or dead) or the deadline passes.</summary>
    public async Task<JobRecord> WaitFinishedAsync(string id, TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (true)
        {
            var job = await Store.GetAsync(id, ct);
            if (job is { IsFinished: true })
            {
                return job;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"job {id} is still {job?.State.ToString() ?? "missing"} after {within}");
            await Task.Delay(50, ct);
        }
    }
}
