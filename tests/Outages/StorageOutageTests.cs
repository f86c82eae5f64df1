using System.Text.Json;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Core.Dispatch;
using Serverless.Core.Jobs;
using Serverless.Core.Messaging;
using Serverless.Core.Records;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Storage;
using Serverless.Functions.Jobs;
using Serverless.Functions.Queues;
using Serverless.Functions.Records;
using Serverless.Functions.Search;
using Serverless.Functions.Status;
using Serverless.Functions.Transactions;
using Serverless.Testing;
using Serverless.Tests.Messaging;
using Xunit;
using static Serverless.Tests.Outages.OutageAssertions;

namespace Serverless.Tests.Outages;

/// <summary>
/// A real Azurite stopped, frozen and restarted under a running app: every Storage-backed HTTP route answers 503 with
/// Retry-After within the configured retries instead of a 500, health names Storage, a queue message outlives the
/// outage, and the same app serves again when Storage returns. Redis is the run's shared one and stays up.
/// </summary>
public sealed class StorageOutageTests(ServicesFixture services)
{
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(30);

    // The table-backed policies; write-behind acknowledges from Redis and is checked on its own.
    private static readonly string[] TablePolicies = ["cache-aside", "write-through", "write-around"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task EveryStorageBackedRouteAnswers503WithRetryAfterAndHealthNamesStorageWhileAzuriteIsDownAndBothRecoverWhenItReturns()
    {
        await using var storage = await OwnAzuriteServer.StartAsync();
        // Claims after 1 s: the flush the outage failed is retried from the pending list once that long has passed.
        using var app = await OutageApp.StartAsync(services, storage, new() { ["Records:ClaimAfter"] = "00:00:01", ["Records:FlushInterval"] = "00:00:00.050" });
        var queue = app.Get<CatalogChangeQueue>().Queue.Name;
        // Before the outage: the routes' tables and queues exist, as they do in a running app.
        Assert.Equal(202, (await UpsertAsync(app, "before")).Status);
        Assert.Equal(202, (await SubmitJobAsync(app, "job-before")).Status);
        Assert.Equal(201, (await RecordAsync(app, "PUT", "write-behind", "k-behind")).Status);
        Assert.Equal(200, (await HealthAsync(app)).Status);

        var routes = new List<(string Name, Func<Task<ActionResults.Response>> Call, int Recovered)>
        {
            ("catalog upsert", () => UpsertAsync(app, "during"), 202),
            ("catalog delete", () => Call(app, "DELETE", null, (CatalogFunctions f, HttpRequest r) => f.Delete(r, "during", Ct)), 202),
            ("queue list", () => Call(app, "GET", null, (QueueAdminFunctions f, HttpRequest r) => f.List(r, Ct)), 200),
            ("poison peek", () => Call(app, "GET", null, (QueueAdminFunctions f, HttpRequest r) => f.Peek(r, queue, Ct)), 200),
            ("poison replay", () => Call(app, "POST", "all=true", (QueueAdminFunctions f, HttpRequest r) => f.Replay(r, queue, Ct)), 200),
            ("poison purge", () => Call(app, "DELETE", null, (QueueAdminFunctions f, HttpRequest r) => f.Purge(r, queue, Ct)), 200),
            ("job submit", () => SubmitJobAsync(app, "job-during"), 202),
            ("job get", () => Call(app, "GET", null, (JobFunctions f, HttpRequest r) => f.Get(r, JobIds.For("job-before"), Ct)), 200),
            ("dead jobs list", () => Call(app, "GET", null, (DeadJobFunctions f, HttpRequest r) => f.List(r, Ct)), 200),
            // Priced against the inventory and payments tables before anything is scheduled: an unknown SKU is the
            // answer once Storage is back (no durable client needed to get that far).
            ("transaction start (2pc)", () => StartTransactionAsync(app), 400),
        };
        foreach (var policy in TablePolicies)
        {
            routes.Add(($"record PUT ({policy})", () => RecordAsync(app, "PUT", policy, "k-during"), 201));
            routes.Add(($"record GET ({policy})", () => RecordAsync(app, "GET", policy, "k-missing"), 404));
            routes.Add(($"record DELETE ({policy})", () => RecordAsync(app, "DELETE", policy, "k-missing"), 404));
        }

        // Write-behind needs the table for a key it has not cached (the next version follows the stored one).
        routes.Add(("record PUT (write-behind, not cached)", () => RecordAsync(app, "PUT", "write-behind", "k-during"), 201));
        routes.Add(("record GET (write-behind, not cached)", () => RecordAsync(app, "GET", "write-behind", "k-missing"), 404));

        await storage.StopAsync();
        // The status page degrades instead: it says what it could not read.
        var status = await Call(app, "GET", null, (StatusFunction f, HttpRequest r) => f.Get(r, Ct));
        Assert.True(status.Status == 200 && status.Body.Contains("Could not read queues", StringComparison.Ordinal), $"{status.Status}: {status.Body}");
        // All at once: each waits out the same retries, and one after another they cost the class 15 s.
        var answers = await Task.WhenAll(routes.Select(r => TimedAsync($"{r.Name}, Storage down", r.Call)));
        foreach (var ((name, _, _), (down, took)) in routes.Zip(answers))
        {
            Assert.True(down.Status == 503, $"{name}: expected 503, got {down.Status}: {down.Body}");
            IsOutage(down);
            Assert.True(took < StallGuard, $"{name} took {took}");
        }

        var (health, healthTook) = await TimedAsync("health, Storage down", () => HealthAsync(app));
        Assert.Equal(503, health.Status);
        var entries = Dependencies(health);
        Assert.True(entries["redis"].GetProperty("ok").GetBoolean());
        Assert.All(["storage-blobs", "storage-queues", "storage-tables"], name =>
        {
            Assert.False(entries[name].GetProperty("ok").GetBoolean(), name);
            Assert.False(string.IsNullOrEmpty(entries[name].GetProperty("error").GetString()), name);
        });
        Assert.True(healthTook < StallGuard, $"{healthTook}");

        // A cached write-behind record is written to Redis and acknowledged; the flusher writes the table once Storage is back.
        var behind = await RecordAsync(app, "PUT", "write-behind", "k-behind");
        Assert.True(behind.Status == 200, $"write-behind PUT of a cached record, Storage down: {behind.Status} {behind.Body}");

        await storage.RestartAsync();
        foreach (var (name, call, recovered) in routes)
        {
            var again = await UntilAsync($"{name} after restart", call, recovered, Recovery);
            Assert.True(again.Status == recovered, $"{name}: expected {recovered} after restart, got {again.Status}: {again.Body}");
        }

        Assert.Equal(200, (await UntilAsync("health after restart", () => HealthAsync(app), 200, Recovery)).Status);
        var table = app.Get<RecordTable>();
        Assert.True(await PollAsync(async () => await table.GetAsync("write-behind", "k-behind", Ct) is { Version: 2 }, Recovery), "The write-behind record never reached the table.");
    }

    [Fact(Timeout = 90_000)]
    public async Task FrozenAzuriteAnswers503AfterTheConfiguredNetworkTimeoutAndServesAgainWhenThawed()
    {
        await using var storage = await OwnAzuriteServer.StartAsync();
        using var app = await OutageApp.StartAsync(services, storage, new() { ["Storage:NetworkTimeout"] = "00:00:00.500", ["Storage:MaxRetries"] = "1" });
        Assert.Equal(404, (await RecordAsync(app, "GET", "cache-aside", "k-frozen")).Status);

        await storage.FreezeAsync();
        // Another key: the first read cached its miss.
        var (read, took) = await TimedAsync("record GET, Storage frozen (timeout 500 ms, 1 retry)", () => RecordAsync(app, "GET", "cache-aside", "k-frozen-2"));

        IsOutage(read);
        // Connections are accepted and never answered: the per-try timeout decides, twice (one try, one retry).
        var cause = LastCause(app);
        Assert.True(StorageOutage.Is(cause), cause.ToString());
        Assert.Contains("0:00:00.5", cause.ToString(), StringComparison.Ordinal);
        Assert.True(took >= TimeSpan.FromSeconds(1) && took < StallGuard, $"{took}");

        await storage.ThawAsync();
        Assert.Equal(404, (await UntilAsync("record GET after thaw", () => RecordAsync(app, "GET", "cache-aside", "k-frozen-2"), 404, Recovery)).Status);
    }

    [Fact(Timeout = 90_000)]
    public async Task AQueueMessageFailedByTheOutageIsDeliveredAgainAfterwardsAndHandledOnceWithoutPoison()
    {
        await using var storage = await OwnAzuriteServer.StartAsync();
        var handler = new CountingHandler("work-" + Guid.NewGuid().ToString("N")[..12]);
        using var app = await OutageApp.StartAsync(services, storage, configure: s => s.AddSingleton(handler).AddMessageHandler<CountingHandler, Work>());
        var pipeline = app.Get<MessagePipeline>();
        var work = app.Get<StorageClients>().Queues.GetQueueClient(handler.Queue);
        await work.CreateIfNotExistsAsync(cancellationToken: Ct);
        await work.SendMessageAsync("""{"key":"order-1"}""", Ct);
        // As the runtime receives it: invisible for a while, deleted only when the function returns normally.
        var first = (await work.ReceiveMessageAsync(TimeSpan.FromSeconds(1), Ct)).Value;

        await storage.StopAsync();
        var failed = await Assert.ThrowsAnyAsync<Exception>(() => pipeline.ProcessAsync(handler, first, Ct));

        // The pipeline throws, so the runtime leaves the message on the queue; the handler never ran.
        Assert.True(StorageOutage.Is(failed), failed.ToString());
        Assert.Empty(handler.Deliveries);

        await storage.RestartAsync();
        QueueMessage? again = null;
        Assert.True(await PollAsync(async () => (again = (await work.ReceiveMessageAsync(TimeSpan.FromSeconds(30), Ct)).Value) is not null, Recovery), "The message was lost.");
        var outcome = await pipeline.ProcessAsync(handler, again!, Ct);

        Assert.Equal(first.MessageId, again!.MessageId);
        Assert.Equal(2, again.DequeueCount);
        Assert.Equal(PipelineAction.Handled, outcome.Action);
        Assert.Equal(1, handler.Effects["order-1"]);
        var poison = app.Get<StorageClients>().Queues.GetQueueClient(PoisonQueue.For(handler.Queue));
        Assert.False((await poison.ExistsAsync(Ct)).Value && (await poison.PeekMessagesAsync(32, Ct)).Value.Length > 0);
    }

    private static Task<ActionResults.Response> Call<TFunctions>(OutageApp app, string method, string? query, Func<TFunctions, HttpRequest, Task<IActionResult>> function)
    {
        var request = ActionResults.Request(method, query);
        var functions = app.Create<TFunctions>();
        return app.CallAsync(request, () => function(functions, request));
    }

    private static Task<ActionResults.Response> UpsertAsync(OutageApp app, string id)
    {
        var product = new Product(id, $"Outage speaker {id}", "", "Speakers", "Acme", 10, [], DateTimeOffset.UtcNow);
        var request = ActionResults.Request("POST", body: JsonSerializer.Serialize(new List<Product> { product }, CatalogJson.Default.ListProduct));
        var functions = app.Create<CatalogFunctions>();
        return app.CallAsync(request, () => functions.Upsert(request, Ct));
    }

    private static Task<ActionResults.Response> SubmitJobAsync(OutageApp app, string key)
    {
        var request = ActionResults.Request("POST", body: """{"pool":"p1","path":"/orders","payload":{"n":1}}""",
            headers: new Dictionary<string, string> { [ForwardRequest.IdempotencyKeyHeader] = key });
        var functions = app.Create<JobFunctions>();
        return app.CallAsync(request, () => functions.Submit(request, Ct));
    }

    private static Task<ActionResults.Response> StartTransactionAsync(OutageApp app)
    {
        var request = ActionResults.Request("POST", body: """{"sku":"no-such-sku","quantity":1,"account":"acct-none","shipTo":"1 Test Street"}""",
            headers: new Dictionary<string, string> { [TransactionFunctions.IdempotencyKeyHeader] = "outage-order" });
        var functions = app.Create<TransactionFunctions>();
        return app.CallAsync(request, () => functions.StartTwoPhaseCommit(request, null!, Ct));
    }

    private static Task<ActionResults.Response> RecordAsync(OutageApp app, string method, string collection, string key)
    {
        var request = ActionResults.Request(method, body: method == "PUT" ? """{"n":1}""" : null);
        var functions = app.Create<RecordFunctions>();
        return app.CallAsync(request, () => method switch
        {
            "GET" => functions.Get(request, collection, key, Ct),
            "PUT" => functions.Put(request, collection, key, Ct),
            _ => functions.Delete(request, collection, key, Ct),
        });
    }

    private static async Task<ActionResults.Response> HealthAsync(OutageApp app)
    {
        var request = ActionResults.Request();
        return await ActionResults.ExecuteAsync(await app.Health.Run(request, Ct), request);
    }

    private static async Task<bool> PollAsync(Func<Task<bool>> condition, TimeSpan within)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100, Ct);
        }

        return false;
    }
}
