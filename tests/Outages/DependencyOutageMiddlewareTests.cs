using System.Net.Sockets;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Serverless.Functions.Http;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Outages;

/// <summary>The one mapping from a Redis or Azure Storage outage to an answer, on the middleware itself.</summary>
public sealed class DependencyOutageMiddlewareTests
{
    public static TheoryData<string> Outages => ["no connection", "timeout", "server loading", "cluster slot moving", "wrapped", "aggregated"];

    public static TheoryData<string> StorageOutages =>
    [
        "storage refused", "storage retries exhausted", "storage network timeout", "storage throttled", "storage server busy",
        "storage internal error", "storage request timeout", "storage socket", "storage wrapped",
    ];

    public static TheoryData<string> Defects =>
    [
        "crossslot", "script error", "bug", "storage not found", "storage conflict", "storage etag mismatch", "storage bad request",
        "storage not implemented", "caller cancelled",
    ];

    [Theory(Timeout = 10_000)]
    [MemberData(nameof(Outages))]
    public async Task RedisOutageOnAnHttpFunctionAnswers503ProblemWithRetryAfterAndIsLogged(string outage)
    {
        var logger = new FakeLogger<DependencyOutageMiddleware>();
        var request = ActionResults.Request("POST", body: "{}");

        var response = await WorkerPipeline.RunAsync(request, () => throw Make(outage), new DependencyOutageMiddleware(logger));

        OutageAssertions.IsOutage(response);
        Assert.Equal("Service unavailable", response.Json.GetProperty("title").GetString());
        Assert.Equal("Redis, which this request needs, is unavailable.", response.Json.GetProperty("detail").GetString());
        var logged = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.NotNull(logged.Exception);
    }

    [Theory(Timeout = 10_000)]
    [MemberData(nameof(StorageOutages))]
    public async Task StorageOutageOnAnHttpFunctionAnswers503ProblemNamingStorageWithRetryAfter(string outage)
    {
        var logger = new FakeLogger<DependencyOutageMiddleware>();
        var request = ActionResults.Request("PUT", body: "{}");

        var response = await WorkerPipeline.RunAsync(request, () => throw Make(outage), new DependencyOutageMiddleware(logger));

        OutageAssertions.IsOutage(response);
        Assert.Equal("Azure Storage, which this request needs, is unavailable.", response.Json.GetProperty("detail").GetString());
        var logged = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.StartsWith("Azure Storage unavailable", logged.Message, StringComparison.Ordinal);
    }

    [Theory(Timeout = 10_000)]
    [MemberData(nameof(Defects))]
    public async Task FailureThatIsNoOutageIsRethrownForTheHostToAnswer500(string defect)
    {
        var logger = new FakeLogger<DependencyOutageMiddleware>();
        var thrown = Make(defect);

        var caught = await Assert.ThrowsAnyAsync<Exception>(() =>
            WorkerPipeline.RunAsync(ActionResults.Request(), () => throw thrown, new DependencyOutageMiddleware(logger)));

        Assert.Same(thrown, caught);
        Assert.Empty(logger.Collector.GetSnapshot());
    }

    [Fact(Timeout = 10_000)]
    public async Task RedisOutageOnAQueueTriggerIsRethrownSoTheRuntimeRetriesTheMessage()
    {
        var middleware = new DependencyOutageMiddleware(new FakeLogger<DependencyOutageMiddleware>());
        var thrown = Make("no connection");

        var caught = await Assert.ThrowsAsync<RedisConnectionException>(() =>
            middleware.Invoke(new FakeFunctionContext(http: null), _ => throw thrown));

        Assert.Same(thrown, caught);
    }

    [Fact(Timeout = 10_000)]
    public async Task FunctionThatSucceedsKeepsItsOwnAnswer()
    {
        var request = ActionResults.Request();

        var response = await WorkerPipeline.RunAsync(request, () => Task.FromResult<Microsoft.AspNetCore.Mvc.IActionResult>(new Microsoft.AspNetCore.Mvc.NoContentResult()));

        Assert.Equal(204, response.Status);
        Assert.False(response.Headers.ContainsKey("Retry-After"));
    }

    private static Exception Make(string kind) => kind switch
    {
        "no connection" => new RedisConnectionException(ConnectionFailureType.UnableToConnect, "No connection is active/available to service this operation: EVALSHA"),
        "timeout" => new RedisTimeoutException("Timeout awaiting response (timeout is 1000ms), command=EVALSHA", CommandStatus.Sent),
        "server loading" => new RedisServerException("LOADING Redis is loading the dataset in memory"),
        "cluster slot moving" => new RedisServerException("TRYAGAIN Multiple keys request during rehashing of slot"),
        "wrapped" => new InvalidOperationException("The session store failed.", Make("no connection")),
        "aggregated" => new AggregateException(Make("timeout")),
        "crossslot" => new RedisServerException("CROSSSLOT Keys in request don't hash to the same slot"),
        "script error" => new RedisServerException("ERR user_script:1: Script attempted to access nonexistent global variable"),
        "storage refused" => Refused(),
        "storage retries exhausted" => new AggregateException("Retry failed after 3 tries.", Refused(), Refused(), Refused()),
        // What Azure.Core throws for a try past RetryOptions.NetworkTimeout.
        "storage network timeout" => new TaskCanceledException("The operation was cancelled.", new TimeoutException("The operation was cancelled because it exceeded the configured timeout of 0:00:05.")),
        "storage throttled" => new RequestFailedException(429, "Operations per second is over the account limit.", "TooManyRequests", null),
        "storage server busy" => new RequestFailedException(503, "The server is busy.", "ServerBusy", null),
        "storage internal error" => new RequestFailedException(500, "The server encountered an internal error.", "InternalError", null),
        "storage request timeout" => new RequestFailedException(408, "The operation could not be completed within the permitted time.", "OperationTimedOut", null),
        "storage socket" => new SocketException((int)SocketError.ConnectionReset),
        "storage wrapped" => new InvalidOperationException("The record store failed.", Make("storage server busy")),
        "storage not found" => new RequestFailedException(404, "The specified resource does not exist.", "ResourceNotFound", null),
        "storage conflict" => new RequestFailedException(409, "The specified entity already exists.", "EntityAlreadyExists", null),
        "storage etag mismatch" => new RequestFailedException(412, "The update condition specified in the request was not satisfied.", "UpdateConditionNotSatisfied", null),
        "storage bad request" => new RequestFailedException(400, "The table name is invalid.", "InvalidResourceName", null),
        "storage not implemented" => new RequestFailedException(501, "The API is not implemented.", "NotImplemented", null),
        "caller cancelled" => new OperationCanceledException("The request was aborted."),
        _ => new InvalidOperationException("A plain bug."),
    };

    // What the SDK throws when nothing listens: status 0 around the transport's failure.
    private static RequestFailedException Refused() =>
        new("Connection refused (127.0.0.1:10002)", new HttpRequestException("Connection refused (127.0.0.1:10002)", new SocketException((int)SocketError.ConnectionRefused)));
}
