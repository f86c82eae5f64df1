using Serverless.Functions.Counters;
using Serverless.Functions.Dispatch;
using Serverless.Functions.Health;
using Serverless.Functions.Jobs;
using Serverless.Functions.Locks;
using Serverless.Functions.OpenApi;
using Serverless.Functions.Queues;
using Serverless.Functions.Records;
using Serverless.Functions.Search;
using Serverless.Functions.Sessions;
using Serverless.Functions.Status;
using Serverless.Functions.Transactions;

namespace Serverless.Tests.Fuzz;

/// <summary>One driver per HTTP function of the app; a function in functions.metadata without one fails the fuzz suite.</summary>
internal static class FuzzDrivers
{
    private const string SessionRoute = "{session}";
    private static readonly string RunId = Guid.NewGuid().ToString("N")[..8];

    private const string TransactionId = "txn-0123456789abcdef0123456789abcdef";

    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    public static readonly IReadOnlyDictionary<string, FuzzDriver> All = new FuzzDriver[]
    {
        new("Health", "GET", (app, r, _) => app.Create<HealthFunction>().Run(r, Ct)),
        new("OpenApi", "GET", (app, r, _) => Task.FromResult(app.Create<OpenApiFunction>().Get(r))),
        new("Status", "GET", (app, r, _) => app.Create<StatusFunction>().Get(r, Ct)),

        new("CreateSession", "POST", (app, r, _) => app.Create<SessionFunctions>().Create(r, Ct))
        {
            Body = """{"principal":"fuzz-user","attributes":{"theme":"dark","n":1}}""",
        },
        new("GetSession", "GET", (app, r, v) => app.Create<SessionFunctions>().Get(r, Session(app, v["id"])))
        {
            Route = Map(("id", SessionRoute)),
            Query = Map(("attribute", "theme")),
        },
        new("UpdateSession", "PATCH", (app, r, v) => app.Create<SessionFunctions>().Update(r, Session(app, v["id"]), Ct))
        {
            Route = Map(("id", SessionRoute)),
            Body = """{"theme":"light","n":2}""",
            Headers = Map(("If-Match", "*")),
        },
        new("DeleteSession", "DELETE", (app, r, v) => app.Create<SessionFunctions>().Delete(r, Session(app, v["id"])))
        {
            Route = Map(("id", SessionRoute)),
        },
        new("RotateSession", "POST", (app, r, v) => app.Create<SessionLifecycleFunctions>().Rotate(r, Session(app, v["id"])))
        {
            Route = Map(("id", SessionRoute)),
        },
        new("RevokePrincipalSessions", "DELETE", (app, r, v) => app.Create<SessionLifecycleFunctions>().RevokeAll(r, v["principal"]))
        {
            Route = Map(("principal", "fuzz-other")),
        },

        new("LockAction", "POST", (app, r, v) => app.Create<LockFunctions>().Act(r, v["backend"], v["name"], v["action"], app.Durable, Ct))
        {
            Route = Map(("backend", "entity"), ("name", "fuzz"), ("action", "acquire")),
            Body = """{"owner":"fuzz","leaseMs":1000,"waitMs":0,"token":1}""",
            RangedMembers = Set("leaseMs", "waitMs"),
            Durable = true,
        },
        new("GetLock", "GET", (app, r, v) => app.Create<LockFunctions>().Get(r, v["backend"], v["name"], app.Durable, Ct))
        {
            Route = Map(("backend", "entity"), ("name", "fuzz")),
            Durable = true,
        },

        new("AddToCounter", "POST", (app, r, v) => CounterFunctions.Add(r, v["name"], app.Durable, Ct))
        {
            Route = Map(("name", "fuzz")),
            Body = """{"amount":1}""",
            RangedMembers = Set("amount"),
            Durable = true,
        },
        new("GetCounter", "GET", (app, r, v) => CounterFunctions.Get(r, v["name"], app.Durable, Ct))
        {
            Route = Map(("name", "fuzz")),
            Durable = true,
        },

        Order("StartTwoPhaseCommitTransaction", (f, r, c) => f.StartTwoPhaseCommit(r, c, Ct)),
        Order("StartSagaTransaction", (f, r, c) => f.StartSaga(r, c, Ct)),
        new("GetTransaction", "GET", (app, r, v) => app.Create<TransactionFunctions>().Get(r, app.Durable, v["id"], Ct))
        {
            Route = Map(("id", TransactionId)),
            Durable = true,
        },

        new("Search", "GET", (app, r, _) => app.Create<SearchFunctions>().Search(r, Ct))
        {
            Query = Map(("q", "phone"), ("category", "phones"), ("brand", "acme"), ("minPrice", "1"), ("maxPrice", "500"),
                ("sort", "price_asc"), ("page", "1"), ("size", "10")),
            RejectQuery = Set(
                [.. from p in new[] { "minPrice", "maxPrice" }
                    from l in new[] { "negative", "exponent", "above-decimal", "above-decimal-max", "above-long", "below-long", "nan", "infinity", "hex", "word", "huge" }
                    select $"{p}:{l}",
                 .. from p in new[] { "page", "size" }
                    from l in new[] { "negative", "zero", "fraction", "exponent", "above-decimal", "above-decimal-max", "above-long", "below-long", "nan", "infinity", "hex", "word", "huge" }
                    select $"{p}:{l}",
                 "sort:word", "sort:huge", "q:empty", "q:huge"]),
        },
        new("SearchWarmup", "POST", (app, r, _) => app.Create<SearchFunctions>().Warmup(r, Ct)),
        new("UpsertProducts", "POST", (app, r, _) => app.Create<CatalogFunctions>().Upsert(r, Ct))
        {
            Body = """[{"id":"p1","title":"Phone","description":"A phone","category":"phones","brand":"acme","price":199.99,"tags":["a"],"updatedAt":"2026-01-01T00:00:00Z"}]""",
            BodyIsArray = true,
            RangedMembers = Set("price"),
        },
        new("DeleteProduct", "DELETE", (app, r, v) => app.Create<CatalogFunctions>().Delete(r, v["id"], Ct))
        {
            Route = Map(("id", "p1")),
        },

        new("PutDispatchPool", "PUT", (app, r, v) => app.Create<DispatchPoolFunctions>().Put(r, v["pool"], Ct))
        {
            Route = Map(("pool", "fuzz")),
            Body = """{"policy":"round-robin","targets":[{"id":"a","url":"http://elsewhere.test"}]}""",
        },
        new("GetDispatchPool", "GET", (app, r, v) => app.Create<DispatchPoolFunctions>().Get(r, v["pool"]))
        {
            Route = Map(("pool", "fuzz")),
        },
        new("DeleteDispatchPool", "DELETE", (app, r, v) => app.Create<DispatchPoolFunctions>().Delete(r, v["pool"]))
        {
            Route = Map(("pool", "fuzz")),
        },
        // No pool exists under the fuzz app's prefix, so nothing is forwarded: what is fuzzed is the reading of the request.
        new("DispatchForward", "POST", (app, r, v) => app.Create<DispatchForwardFunction>().Forward(r, v["pool"], v["path"], Ct))
        {
            Route = Map(("pool", "nopool"), ("path", "items/1")),
            FreeRoute = Set("path"),
            Query = Map(("x", "1")),
            Body = """{"any":"json"}""",
        },

        // The fuzz app configures one write-behind collection, "fuzz" (see FuzzApp).
        new("GetRecord", "GET", (app, r, v) => app.Create<RecordFunctions>().Get(r, v["collection"], v["key"], Ct))
        {
            Route = Map(("collection", "fuzz"), ("key", "fuzz-key")),
        },
        new("PutRecord", "PUT", (app, r, v) => app.Create<RecordFunctions>().Put(r, v["collection"], v["key"], Ct))
        {
            Route = Map(("collection", "fuzz"), ("key", "fuzz-key")),
            Body = """{"name":"fuzz","n":1}""",
        },
        new("DeleteRecord", "DELETE", (app, r, v) => app.Create<RecordFunctions>().Delete(r, v["collection"], v["key"], Ct))
        {
            Route = Map(("collection", "fuzz"), ("key", "fuzz-key")),
        },
        // On the fuzz app's own catalog queue: the shared dispatch-requests-poison holds other tests' messages.
        new("ListQueues", "GET", (app, r, _) => app.Create<QueueAdminFunctions>().List(r, Ct)),
        new("PeekPoison", "GET", (app, r, v) => app.Create<QueueAdminFunctions>().Peek(r, AppQueue(app, v["queue"]), Ct))
        {
            Route = Map(("queue", ChangeQueueRoute)),
            Query = Map(("max", "10")),
            RejectQuery = Set([.. FuzzInputs.QueryValues.Select(v => $"max:{v.Label}")]),
        },
        new("ReplayPoison", "POST", (app, r, v) => app.Create<QueueAdminFunctions>().Replay(r, AppQueue(app, v["queue"]), Ct))
        {
            Route = Map(("queue", ChangeQueueRoute)),
            Query = Map(("all", "true")),
            RejectQuery = Set([.. FuzzInputs.QueryValues.Select(v => $"all:{v.Label}")]),
        },
        new("PurgePoison", "DELETE", (app, r, v) => app.Create<QueueAdminFunctions>().Purge(r, AppQueue(app, v["queue"]), Ct))
        {
            Route = Map(("queue", ChangeQueueRoute)),
        },
        // Jobs: the pool need not exist (it is looked up when the job runs), so the valid request is accepted and
        // enqueued; every mutated body under the same key is then a different job, refused with 422.
        new("SubmitJob", "POST", (app, r, _) => app.Create<JobFunctions>().Submit(r, Ct))
        {
            Body = """{"pool":"nopool","method":"POST","path":"/items/1","payload":{"n":1},"orderingKey":"fuzz","delay":0,"maxAttempts":3}""",
            RangedMembers = Set("delay", "maxAttempts"),
            Headers = Map(("Idempotency-Key", $"fuzz-job-{RunId}")),
            RequiredHeaders = Set("Idempotency-Key"),
        },
        new("GetJob", "GET", (app, r, v) => app.Create<JobFunctions>().Get(r, v["id"], Ct))
        {
            Route = Map(("id", "job-0123456789abcdef0123456789abcdef")),
        },
        new("ListDeadJobs", "GET", (app, r, _) => app.Create<DeadJobFunctions>().List(r, Ct))
        {
            Query = Map(("limit", "10")),
            RejectQuery = Set(
                [.. from l in new[] { "word", "negative", "zero", "fraction", "exponent", "above-decimal", "above-decimal-max", "above-long", "below-long", "nan", "infinity", "hex", "huge" }
                    select $"limit:{l}"]),
        },
        new("ReplayDeadJobs", "POST", (app, r, _) => app.Create<DeadJobFunctions>().Replay(r, Ct))
        {
            Body = """{"id":"job-0123456789abcdef0123456789abcdef"}""",
        },
        new("PurgeDeadJobs", "POST", (app, r, _) => app.Create<DeadJobFunctions>().Purge(r, Ct))
        {
            Body = """{"id":"job-0123456789abcdef0123456789abcdef"}""",
        },
    }.ToDictionary(d => d.Function, StringComparer.Ordinal);

    private static FuzzDriver Order(string function, Func<TransactionFunctions, Microsoft.AspNetCore.Http.HttpRequest, Microsoft.DurableTask.Client.DurableTaskClient, Task<Microsoft.AspNetCore.Mvc.IActionResult>> start) =>
        new(function, "POST", (app, r, _) => start(app.Create<TransactionFunctions>(), r, app.Durable))
        {
            Body = """{"sku":"fuzz-sku","quantity":1,"account":"fuzz-account","shipTo":"1 Fuzz Street"}""",
            RangedMembers = Set("quantity"),
            // Per function and run: a key already claimed answers the earlier order (202 or 422) without looking further.
            Headers = Map((TransactionFunctions.IdempotencyKeyHeader, $"fuzz-{function}-{RunId}")),
            RequiredHeaders = Set(TransactionFunctions.IdempotencyKeyHeader),
            Durable = true,
        };

    private const string ChangeQueueRoute = "{changes}";

    // The documented example names the change queue by its default name; both it and the placeholder mean this app's own.
    private static readonly string DefaultChangeQueue = new Serverless.Core.Search.SearchOptions().ChangeQueue;

    private static string AppQueue(FuzzApp app, string queue) =>
        queue == ChangeQueueRoute || queue == DefaultChangeQueue
            ? app.Get<Microsoft.Extensions.Options.IOptions<Serverless.Core.Search.SearchOptions>>().Value.ChangeQueue
            : queue;

    private static string Session(FuzzApp app, string id) => id == SessionRoute ? app.SessionId : id;

    private static Dictionary<string, string> Map(params (string Key, string Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    private static HashSet<string> Set(params string[] values) => new(values, StringComparer.OrdinalIgnoreCase);
}
