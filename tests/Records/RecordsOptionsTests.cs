using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Records;

public sealed class RecordsOptionsTests(ServicesFixture services)
{
    [Theory(Timeout = 10_000)]
    [InlineData("Records:Collections:orders:Policy", "write-sometimes", "Records:Collections:orders:Policy")]
    [InlineData("Records:Collections:orders:Eviction", "random", "Records:Collections:orders:Eviction")]
    [InlineData("Records:Collections:orders:L1Size", "-1", "Records:Collections:orders:L1Size")]
    [InlineData("Records:Collections:Orders!:Policy", "write-through", "Records:Collections:Orders!")]
    [InlineData("Records:FlushBatch", "0", "Records:FlushBatch")]
    public async Task ABadRecordsSettingFailsStartUpNamingIt(string setting, string value, string named)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(services.Configuration(new Dictionary<string, string?>
        {
            ["Records:Collections:orders:Policy"] = "cache-aside",
            [setting] = value,
        }));
        builder.Services.AddServerless(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains($"'{named}", error.Message, StringComparison.Ordinal);
    }
}
