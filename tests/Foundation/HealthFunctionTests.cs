using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serverless.Functions.Health;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Foundation;

public sealed class HealthFunctionTests(ServicesFixture services)
{
    [RedisBacked]
    [Fact(Timeout = 20_000)]
    public async Task LiveDependenciesAnswer200WithOneEntryEach()
    {
        using var app = await services.StartAppAsync();

        var response = await CallAsync(app.Services);

        Assert.Equal(200, response.Status);
        var json = response.Json;
        Assert.True(json.GetProperty("ok").GetBoolean());
        var names = json.GetProperty("dependencies").EnumerateArray().Select(d => d.GetProperty("name").GetString()).ToList();
        Assert.Equal(["redis", "storage-blobs", "storage-queues", "storage-tables"], names);
        Assert.All(json.GetProperty("dependencies").EnumerateArray(), d =>
        {
            Assert.True(d.GetProperty("ok").GetBoolean());
            Assert.True(d.GetProperty("latencyMs").GetDouble() >= 0);
        });
    }

    [Fact(Timeout = 20_000)]
    public async Task DeadRedisAnswers503NamingRedisWithItsError()
    {
        var deadPort = ListeningSockets.FreePort();
        using var app = await services.StartAppAsync(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = $"127.0.0.1:{deadPort}",
            ["Redis:ConnectTimeout"] = "00:00:00.300",
        });

        var response = await CallAsync(app.Services);

        Assert.Equal(503, response.Status);
        var redis = response.Json.GetProperty("dependencies").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "redis");
        Assert.False(redis.GetProperty("ok").GetBoolean());
        Assert.False(string.IsNullOrEmpty(redis.GetProperty("error").GetString()));
        var storage = response.Json.GetProperty("dependencies").EnumerateArray().Where(d => d.GetProperty("name").GetString()!.StartsWith("storage", StringComparison.Ordinal));
        Assert.All(storage, s => Assert.True(s.GetProperty("ok").GetBoolean()));
    }

    private static async Task<ActionResults.Response> CallAsync(IServiceProvider provider)
    {
        var function = new HealthFunction(provider.GetRequiredService<HealthCheckService>());
        var request = ActionResults.Request();
        return await ActionResults.ExecuteAsync(await function.Run(request, TestContext.Current.CancellationToken), request);
    }
}
