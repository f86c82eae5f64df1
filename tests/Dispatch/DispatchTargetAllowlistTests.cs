using Serverless.Core.Dispatch;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>SSRF: which targets a pool may name, checked at PUT, before each send and at connect time.</summary>
[RedisBacked]
public sealed class DispatchTargetAllowlistTests(ServicesFixture services)
{
    // Loopback stays out of this allowlist: only a network nobody uses here is listed.
    private static readonly Dictionary<string, string?> NoLoopback = new()
    {
        ["Dispatch:AllowedNetworks:0"] = "203.0.113.0/24",
        ["Dispatch:AllowedHosts:1"] = "localhost",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 15_000)]
    [InlineData("""{"url":"http://169.254.169.254"}""", "http://169.254.169.254")]
    [InlineData("""{"url":"http://10.0.0.5"}""", "http://10.0.0.5")]
    [InlineData("""{"url":"http://172.16.3.4:8080"}""", "http://172.16.3.4:8080")]
    [InlineData("""{"url":"http://192.168.1.1"}""", "http://192.168.1.1")]
    [InlineData("""{"url":"http://0.0.0.0"}""", "http://0.0.0.0")]
    [InlineData("""{"url":"http://127.0.0.2"}""", "http://127.0.0.2")]
    [InlineData("""{"url":"http://[::1]"}""", "http://[::1]")]
    [InlineData("""{"url":"http://[::]"}""", "http://[::]")]
    [InlineData("""{"url":"http://[fe80::1]"}""", "http://[fe80::1]")]
    [InlineData("""{"url":"http://[::ffff:169.254.169.254]"}""", "http://[::ffff:169.254.169.254]")]
    [InlineData("""{"url":"http://2130706433"}""", "http://2130706433")]
    [InlineData("""{"url":"http://017700000001"}""", "http://017700000001")]
    [InlineData("""{"url":"http://0x7f.0.0.1"}""", "http://0x7f.0.0.1")]
    [InlineData("""{"url":"http://127.1"}""", "http://127.1")]
    [InlineData("""{"url":"http://metadata.google.internal"}""", "http://metadata.google.internal")]
    [InlineData("""{"url":"http://a.test.evil.example"}""", "http://a.test.evil.example")]
    [InlineData("""{"queue":"catalog-changes"}""", "catalog-changes")]
    [InlineData("""{"queue":"dispatch-requests"}""", "dispatch-requests")]
    [InlineData("""{"queue":"dispatch-requests-poison"}""", "dispatch-requests-poison")]
    [InlineData("""{"queue":"dispatch-hub-control-00"}""", "dispatch-hub-control-00")]
    [InlineData("""{"queue":"dispatch-hub-workitems"}""", "dispatch-hub-workitems")]
    [InlineData("""{"queue":"other-jobs"}""", "other-jobs")]
    public async Task TargetOutsideTheAllowlistIsRefusedAtPutWith400NamingIt(string target, string named)
    {
        using var app = await DispatchApp.StartAsync(services);

        var response = await PutAsync(app, "ssrf", $$"""{"policy":"round-robin","targets":[{{target}}]}""");

        Assert.Equal((400, true), (response.Status, response.IsProblem));
        Assert.Contains($"'{named}'", response.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await app.KeysAsync());
    }

    [Fact(Timeout = 15_000)]
    public async Task ARenamedCatalogChangeQueueIsStillTheAppsOwn()
    {
        using var app = await DispatchApp.StartAsync(services, new() { ["Search:ChangeQueue"] = "dispatch-catalog" });

        var response = await PutAsync(app, "own", """{"policy":"round-robin","targets":[{"queue":"dispatch-catalog"}]}""");

        Assert.Equal((400, true), (response.Status, response.IsProblem));
        Assert.Contains("own queues", response.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 15_000)]
    public async Task AnOwnQueueListedByItsExactNameIsAllowed()
    {
        using var app = await DispatchApp.StartAsync(services, new() { ["Dispatch:AllowedQueues:1"] = "catalog-changes" });

        var response = await PutAsync(app, "own", """{"policy":"round-robin","targets":[{"queue":"catalog-changes"}]}""");

        Assert.Equal(201, response.Status);
    }

    [Fact(Timeout = 15_000)]
    public async Task LoopbackIsRefusedWithoutItsExplicitAllowlistEntryEvenForAPoolSavedEarlier()
    {
        await using var backend = await Backend.StartAsync("inside");
        using var app = await DispatchApp.StartAsync(services, NoLoopback);
        var pool = $$"""{"policy":"round-robin","targets":[{"id":"inside","url":"{{backend.Url}}"}]}""";

        var put = await PutAsync(app, "loop", pool);
        // As if saved before the allowlist existed: the send-time check still refuses it.
        await app.SavePoolAsync("loop", pool);
        var request = ActionResults.Request("GET");
        var forward = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "loop", "x", Ct), request);

        Assert.Equal((400, true), (put.Status, put.IsProblem));
        Assert.Equal((502, true), (forward.Status, forward.IsProblem));
        Assert.Equal(0, backend.Requests);
    }

    [Fact(Timeout = 15_000)]
    public async Task AnAllowedNameResolvingToLoopbackIsRefusedAtConnectTime()
    {
        // "localhost" is on AllowedHosts, so the pool is accepted; what it resolves to is not (DNS rebinding).
        await using var backend = await Backend.StartAsync("rebound");
        using var app = await DispatchApp.StartAsync(services, NoLoopback);
        var url = backend.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);

        var put = await PutAsync(app, "rebind", $$"""{"policy":"round-robin","targets":[{"id":"rebound","url":"{{url}}"}]}""");
        var request = ActionResults.Request("GET");
        var forward = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "rebind", "x", Ct), request);

        Assert.Equal(201, put.Status);
        Assert.Equal(502, forward.Status);
        Assert.Equal(TargetSender.UnreachableDetail, forward.Json.GetProperty("detail").GetString());
        Assert.Equal(0, backend.Requests);
    }

    [Fact(Timeout = 15_000)]
    public async Task AnAllowedNameConnectsToItsAllowedAddress()
    {
        await using var backend = await Backend.StartAsync("named");
        using var app = await DispatchApp.StartAsync(services, new() { ["Dispatch:AllowedHosts:1"] = "localhost" });
        var url = backend.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        await PutAsync(app, "named", $$"""{"policy":"round-robin","targets":[{"id":"named","url":"{{url}}"}]}""");
        var request = ActionResults.Request("GET");

        var forward = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "named", "x", Ct), request);

        Assert.Equal((200, "named"), (forward.Status, forward.Body));
    }

    [Fact(Timeout = 15_000)]
    public void AllowlistEntriesAreValidatedNamingTheSetting()
    {
        var options = new DispatchOptions();
        options.AllowedHosts.Add("10.0.0.1");
        options.AllowedNetworks.Add("10.0.0.0/8 and more");
        options.AllowedQueues.Add("Bad_Queue");

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(e => e.ErrorMessage).ToList();

        Assert.Contains(errors, e => e!.Contains("Dispatch:AllowedHosts entry '10.0.0.1'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.Contains("Dispatch:AllowedNetworks entry '10.0.0.0/8 and more'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.Contains("Dispatch:AllowedQueues entry 'Bad_Queue'", StringComparison.Ordinal));
    }

    [Fact(Timeout = 15_000)]
    public async Task AnAppWithABadAllowlistEntryDoesNotStart()
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => DispatchApp.StartAsync(services, new() { ["Dispatch:AllowedNetworks:0"] = "127.0.0.0/33" }));

        Assert.Contains("Dispatch:AllowedNetworks entry '127.0.0.0/33'", failure.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 15_000)]
    public void PoolManagementIsAdminLevelAndForwardingIsFunctionLevel()
    {
        static IEnumerable<Microsoft.Azure.Functions.Worker.AuthorizationLevel> Levels(Type type) => type.GetMethods()
            .SelectMany(m => m.GetParameters())
            .Select(p => p.GetCustomAttributes(typeof(Microsoft.Azure.Functions.Worker.HttpTriggerAttribute), false).OfType<Microsoft.Azure.Functions.Worker.HttpTriggerAttribute>().SingleOrDefault())
            .OfType<Microsoft.Azure.Functions.Worker.HttpTriggerAttribute>()
            .Select(a => a.AuthLevel);

        Assert.Equal(3, Levels(typeof(Serverless.Functions.Dispatch.DispatchPoolFunctions)).Count(l => l == Microsoft.Azure.Functions.Worker.AuthorizationLevel.Admin));
        Assert.Equal([Microsoft.Azure.Functions.Worker.AuthorizationLevel.Function], Levels(typeof(Serverless.Functions.Dispatch.DispatchForwardFunction)));
    }

    private static async Task<ActionResults.Response> PutAsync(DispatchApp app, string pool, string body)
    {
        var request = ActionResults.Request("PUT", body: body);
        return await ActionResults.ExecuteAsync(await app.Pools.Put(request, pool, Ct), request);
    }
}
