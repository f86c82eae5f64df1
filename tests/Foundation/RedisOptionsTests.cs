using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Foundation;

public sealed class RedisOptionsTests(ServicesFixture services)
{
    [Theory(Timeout = 10_000)]
    [InlineData("Redis:OperationTimeout", "00:00:00")]
    [InlineData("Redis:OperationTimeout", "00:05:00")]
    [InlineData("Redis:ConnectTimeout", "00:00:00.010")]
    public async Task TimeoutOutOfRangeFailsStartupNamingTheSetting(string setting, string value)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(services.Configuration(new Dictionary<string, string?> { [setting] = value }));
        builder.Services.AddServerless(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains($"'{setting}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(setting.Replace(":", "__", StringComparison.Ordinal), error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task ConfiguredTimeoutsReplaceTheOnesWrittenInTheConnectionString()
    {
        using var app = await services.StartAppAsync(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = services.Redis.ConnectionString + ",syncTimeout=9000,asyncTimeout=9000,connectTimeout=9000",
            ["Redis:OperationTimeout"] = "00:00:00.750",
            ["Redis:ConnectTimeout"] = "00:00:02",
        });

        var redis = (ConnectionMultiplexer)app.Services.GetRequiredService<IConnectionMultiplexer>();

        Assert.Equal(750, redis.TimeoutMilliseconds);
        Assert.Contains("asyncTimeout=750", redis.Configuration, StringComparison.Ordinal);
        Assert.Contains("connectTimeout=2000", redis.Configuration, StringComparison.Ordinal);
    }
}
