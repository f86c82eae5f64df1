using Serverless.EndToEnd.Host;
using Serverless.Testing;
using Xunit;

namespace Serverless.EndToEnd.Operability;

[RedisBacked]
public sealed class OperabilityEndToEndTests(HostFixture fixture)
{
    [Fact(Timeout = 60_000)]
    [Covers("OpenApi")]
    public async Task TheKeptOpenApiDocumentIsServedWithoutAKey()
    {
        using var anonymous = fixture.Client(key: false);

        var document = await Answer.SendAsync(anonymous, HttpMethod.Get, "openapi.json");

        Assert.True(document.Status == 200, document.ToString());
        Assert.Equal("application/json", document.ContentType);
        Assert.Equal("3.1.1", document.Json.GetProperty("openapi").GetString());
        Assert.Equal(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "openapi.json")).ReplaceLineEndings("\n"), document.Body);
    }

    [Fact(Timeout = 60_000)]
    [Covers("Status")]
    public async Task TheStatusPageNeedsTheMasterKeyAndShowsAPoolsTargets()
    {
        await using var backend = await Backend.StartAsync("status-b1");
        using var admin = fixture.Client();
        using var anonymous = fixture.Client(key: false);
        var pool = "e2e-status-" + Guid.NewGuid().ToString("N")[..8];
        var put = await Answer.SendAsync(admin, HttpMethod.Put, $"dispatch/pools/{pool}", new { policy = "round-robin", targets = new[] { new { id = "status-b1", url = backend.Url } } });
        Assert.True(put.Status == 201, put.ToString());

        var refused = await Answer.SendAsync(anonymous, HttpMethod.Get, "status");
        var page = await Answer.SendAsync(admin, HttpMethod.Get, "status");

        Assert.Equal(401, refused.Status);
        Assert.True(page.Status == 200, page.ToString());
        Assert.Equal("text/html", page.ContentType);
        Assert.Contains(pool, page.Body, StringComparison.Ordinal);
        Assert.Contains(backend.Url, page.Body, StringComparison.Ordinal);
        Assert.Contains("<meta http-equiv=\"refresh\"", page.Body, StringComparison.Ordinal);
        Assert.Equal(204, (await Answer.SendAsync(admin, HttpMethod.Delete, $"dispatch/pools/{pool}")).Status);
    }
}
