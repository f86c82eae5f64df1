using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Serverless.Functions.Http;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Outages;

/// <summary>The one mapping from a Redis outage to an answer, on the middleware itself.</summary>
public sealed class RedisOutageMiddlewareTests
{
    public static TheoryData<string> Outages => ["no connection", "timeout", "server loading", "cluster slot moving", "wrapped", "aggregated"];

    public static TheoryData<string> Defects => ["crossslot", "script error", "bug"];

    [Theory(Timeout = 10_000)]
    [MemberData(nameof(Outages))]
    public async Task RedisOutageOnAnHttpFunctionAnswers503ProblemWithRetryAfterAndIsLogged(string outage)
    {
        var logger = new FakeLogger<RedisOutageMiddleware>();
        var request = ActionResults.Request("POST", body: "{}");

        var response = await WorkerPipeline.RunAsync(request, () => throw Make(outage), new RedisOutageMiddleware(logger));

        OutageAssertions.IsOutage(response);
        Assert.Equal("Service unavailable", response.Json.GetProperty("title").GetString());
        var logged = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.NotNull(logged.Exception);
    }

    [Theory(Timeout = 10_000)]
    [MemberData(nameof(Defects))]
    public async Task FailureThatIsNoOutageIsRethrownForTheHostToAnswer500(string defect)
    {
        var logger = new FakeLogger<RedisOutageMiddleware>();
        var thrown = Make(defect);

        var caught = await Assert.ThrowsAnyAsync<Exception>(() =>
            WorkerPipeline.RunAsync(ActionResults.Request(), () => throw thrown, new RedisOutageMiddleware(logger)));

        Assert.Same(thrown, caught);
        Assert.Empty(logger.Collector.GetSnapshot());
    }

    [Fact(Timeout = 10_000)]
    public async Task RedisOutageOnAQueueTriggerIsRethrownSoTheRuntimeRetriesTheMessage()
    {
        var middleware = new RedisOutageMiddleware(new FakeLogger<RedisOutageMiddleware>());
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
        _ => new InvalidOperationException("A plain bug."),
    };
}
