using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Foundation;

public sealed class StorageRetryOptionsTests(ServicesFixture services)
{
    [Theory(Timeout = 10_000)]
    [InlineData("Storage:MaxRetries", "11", "Storage:MaxRetries")]
    [InlineData("Storage:RetryDelay", "00:00:00", "Storage:RetryDelay")]
    [InlineData("Storage:MaxRetryDelay", "00:10:00", "Storage:MaxRetryDelay")]
    [InlineData("Storage:NetworkTimeout", "00:00:00.010", "Storage:NetworkTimeout")]
    [InlineData("Storage:RetryDelay", "00:00:05", "Storage:MaxRetryDelay")]
    public async Task OutOfRangeRetrySettingFailsStartupNamingTheSetting(string setting, string value, string named)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(services.Configuration(new Dictionary<string, string?> { [setting] = value }));
        builder.Services.AddServerless(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains($"'{setting}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{named}'", error.Message, StringComparison.Ordinal);
    }
}
