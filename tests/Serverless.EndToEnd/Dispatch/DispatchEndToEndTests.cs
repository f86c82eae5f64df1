using Serverless.Core.Dispatch;
using Serverless.Core.Storage;
using Serverless.EndToEnd.Host;
using Serverless.Testing;
using Xunit;

namespace Serverless.EndToEnd.Dispatch;

[RedisBacked]
public sealed class DispatchEndToEndTests(HostFixture fixture)
{
    /// <summary>
    /// Under the host, overlapping routes are tried in function-name order: before the fix, GET and PUT of
    /// <c>dispatch/pools/{pool}</c> were captured by <c>DispatchForward</c> and answered 405.
    /// </summary>
    [Fact(Timeout = 60_000)]
    [Covers("PutDispatchPool", "GetDispatchPool", "DeleteDispatchPool", "DispatchForward")]
    public async Task APoolIsManagedAndForwardsToItsBackendWithTheTargetHeader()
    {
        await using var backend = await Backend.StartAsync("b1");
        using var client = fixture.Client();
        var pool = Pool();
        var definition = new { policy = "round-robin", targets = new[] { new { id = "b1", url = backend.Url } } };

        var created = await Answer.SendAsync(client, HttpMethod.Put, $"dispatch/pools/{pool}", definition);
        Assert.True(created.Status == 201, created.ToString());
        var replaced = await Answer.SendAsync(client, HttpMethod.Put, $"dispatch/pools/{pool}", definition);
        Assert.True(replaced.Status == 200, replaced.ToString());
        var read = await Answer.SendAsync(client, HttpMethod.Get, $"dispatch/pools/{pool}");
        Assert.True(read.Status == 200, read.ToString());
        Assert.Equal("b1", read.Json.GetProperty("targets")[0].GetProperty("id").GetString());

        var forwarded = await Answer.SendAsync(client, HttpMethod.Post, $"dispatch/{pool}/orders/7?x=1", new { hello = "world" });
        Assert.True(forwarded.Status == 200, forwarded.ToString());
        Assert.Equal("b1", forwarded.Header("X-Dispatch-Target"));
        var seen = Assert.Single(backend.Seen);
        Assert.Equal("POST", seen.Method);
        Assert.StartsWith("/orders/7?x=1", seen.PathAndQuery, StringComparison.Ordinal);
        Assert.Contains("world", seen.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(seen.Headers.Keys, h => h.Equals("x-functions-key", StringComparison.OrdinalIgnoreCase));

        Assert.Equal(204, (await Answer.SendAsync(client, HttpMethod.Delete, $"dispatch/pools/{pool}")).Status);
        Assert.Equal(404, (await Answer.SendAsync(client, HttpMethod.Get, $"dispatch/pools/{pool}")).Status);
    }

    [Fact(Timeout = 120_000)]
    [Covers("DispatchFromQueue")]
    public async Task AQueuedRequestIsDeliveredToThePoolsBackend()
    {
        fixture.AssertIndexed("DispatchFromQueue");
        await using var backend = await Backend.StartAsync("q1");
        using var client = fixture.Client();
        var pool = Pool();
        var put = await Answer.SendAsync(client, HttpMethod.Put, $"dispatch/pools/{pool}", new { policy = "round-robin", targets = new[] { new { id = "q1", url = backend.Url } } });
        Assert.True(put.Status == 201, put.ToString());
        var queue = fixture.Get<StorageClients>().Queues.GetQueueClient(QueueDispatcher.QueueName);
        await queue.CreateIfNotExistsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var marker = Guid.NewGuid().ToString("N");

        await queue.SendMessageAsync($$"""{"pool":"{{pool}}","path":"/jobs","payload":{"marker":"{{marker}}"},"idempotencyKey":"{{marker}}"}""", TestContext.Current.CancellationToken);

        var received = await Eventually.GetAsync(() => Task.FromResult(backend.Seen.ToList()), s => s.Count > 0, TimeSpan.FromSeconds(60), "the backend receives the queued request");
        Assert.Equal("/jobs", received[0].PathAndQuery);
        Assert.Contains(marker, received[0].Body, StringComparison.Ordinal);
        Assert.Equal(marker, received[0].Headers.First(h => h.Key.Equals("Idempotency-Key", StringComparison.OrdinalIgnoreCase)).Value);
    }

    [Fact(Timeout = 120_000)]
    [Covers("DispatchProbe")]
    public async Task TheProbeTimerEjectsATargetWhoseProbeFails()
    {
        fixture.AssertIndexed("DispatchProbe");
        await using var backend = await Backend.StartAsync("sick", status: 500);
        using var client = fixture.Client();
        var pool = Pool();
        var put = await Answer.SendAsync(client, HttpMethod.Put, $"dispatch/pools/{pool}",
            new { policy = "round-robin", probePath = "/healthz", targets = new[] { new { id = "sick", url = backend.Url } } });
        Assert.True(put.Status == 201, put.ToString());

        await Eventually.GetAsync(() => Answer.SendAsync(client, HttpMethod.Get, $"dispatch/pools/{pool}"),
            a => a.Status == 200 && a.Json.GetProperty("targets")[0].GetProperty("ejections").GetInt32() > 0, TimeSpan.FromSeconds(90),
            "probes of /healthz fail and eject the target, with no request forwarded");

        Assert.All(backend.Seen, r => Assert.StartsWith("/healthz", r.PathAndQuery, StringComparison.Ordinal));
        Assert.NotEmpty(backend.Seen);
        await Answer.SendAsync(client, HttpMethod.Delete, $"dispatch/pools/{pool}");
    }

    /// <summary>A pool decides where the app's network identity sends requests: defining one takes the master key.</summary>
    [Fact(Timeout = 60_000)]
    [Covers("PutDispatchPool", "DispatchForward")]
    public async Task PoolManagementNeedsTheMasterKeyWhileAFunctionKeyOnlyForwards()
    {
        await using var backend = await Backend.StartAsync("fk");
        var functionKey = $"e2e-function-key-{Guid.NewGuid():N}";
        using (var hostAdmin = new HttpClient { BaseAddress = fixture.Host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) })
        {
            hostAdmin.DefaultRequestHeaders.Add("x-functions-key", FunctionsHost.MasterKey);
            using var made = await hostAdmin.PutAsync(
                "admin/host/keys/dispatche2e",
                new StringContent($$"""{"name":"dispatche2e","value":"{{functionKey}}"}""", System.Text.Encoding.UTF8, "application/json"),
                TestContext.Current.CancellationToken);
            Assert.True(made.IsSuccessStatusCode, $"creating a host function key answered {(int)made.StatusCode}");
        }

        using var caller = fixture.Client(key: false);
        caller.DefaultRequestHeaders.Add("x-functions-key", functionKey);
        using var admin = fixture.Client();
        var pool = Pool();
        var definition = new { policy = "round-robin", targets = new[] { new { id = "fk", url = backend.Url } } };

        var byFunctionKey = await Answer.SendAsync(caller, HttpMethod.Put, $"dispatch/pools/{pool}", definition);
        var byMasterKey = await Answer.SendAsync(admin, HttpMethod.Put, $"dispatch/pools/{pool}", definition);
        var forwarded = await Answer.SendAsync(caller, HttpMethod.Get, $"dispatch/{pool}/x");

        Assert.True(byFunctionKey.Status == 401, byFunctionKey.ToString());
        Assert.True(byMasterKey.Status == 201, byMasterKey.ToString());
        Assert.True(forwarded.Status == 200, forwarded.ToString());
        Assert.Equal("fk", forwarded.Header("X-Dispatch-Target"));
    }

    private static string Pool() => $"e2e-{Guid.NewGuid():N}"[..16];
}
