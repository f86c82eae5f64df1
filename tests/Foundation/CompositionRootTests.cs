using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Foundation;

public sealed class CompositionRootTests(ServicesFixture services)
{
    [Fact(Timeout = 10_000)]
    public async Task MissingRedisConnectionStringFailsStartupNamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            StartAsync(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" }));

        Assert.Contains("Redis:ConnectionString", error.Message, StringComparison.Ordinal);
        Assert.Contains("Redis__ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public async Task MissingStorageSettingFailsStartupNamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            StartAsync(new() { ["Redis:ConnectionString"] = "127.0.0.1:1" }));

        Assert.Contains("AzureWebJobsStorage", error.Message, StringComparison.Ordinal);
    }

    [RedisBacked]
    [Fact(Timeout = 10_000)]
    public async Task AppContainerResolvesLiveClientsForTheFixturesServices()
    {
        using var app = await services.StartAppAsync();

        var redis = app.Services.GetRequiredService<IConnectionMultiplexer>();
        var storage = app.Services.GetRequiredService<StorageClients>();

        Assert.True(redis.IsConnected);
        Assert.Equal("devstoreaccount1", storage.Tables.AccountName);
    }

    private static async Task StartAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddServerless(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
    }
}
