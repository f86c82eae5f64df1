using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Transactions;
using Serverless.Functions.Transactions;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;

namespace Serverless.Tests.Transactions;

[Collection(DurableCollection.Name)]
public sealed class TransactionHttpTests(TransactionHttpTests.Fixture fixture) : IClassFixture<TransactionHttpTests.Fixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 120_000)]
    [InlineData("2pc", "Commit")]
    [InlineData("saga", null)]
    public async Task PostAnswers202WithAStatusUrlWhoseGetShowsStepsAndOutcome(string protocol, string? decision)
    {
        var sku = await fixture.StockAsync("http", 5);
        var account = await fixture.AccountAsync(5_000);

        var (response, request) = await PostAsync(protocol, Guid.NewGuid().ToString(), Body(sku, account, 2));

        Assert.Equal(202, response.Status);
        var id = response.Json.GetProperty("id").GetString()!;
        Assert.Equal($"/api/transactions/{id}", response.Headers.Location.ToString());
        Assert.Equal($"/api/transactions/{id}", response.Json.GetProperty("statusUrl").GetString());
        Assert.True(response.Json.GetProperty("started").GetBoolean());
        await fixture.WaitForCompletionAsync(id, TransactionFixture.Patience);

        var status = await GetAsync(id);
        Assert.Equal(200, status.Status);
        Assert.Equal("Completed", status.Json.GetProperty("runtimeStatus").GetString());
        Assert.Equal("Applied", status.Json.GetProperty("outcome").GetProperty("result").GetString());
        Assert.Equal(decision, status.Json.GetProperty("decision").GetString());
        var participants = status.Json.GetProperty("participants").EnumerateArray().ToList();
        Assert.Equal(["Inventory", "Payments", "Shipping"], participants.Select(p => p.GetProperty("participant").GetString()));
        Assert.All(participants, p => Assert.Equal("Committed", p.GetProperty("state").GetString()));
        Assert.All(participants, p => Assert.NotEmpty(p.GetProperty("steps").EnumerateArray()));
        Assert.Equal(3, await fixture.AvailableAsync(fixture.Participants.Inventory, sku));
    }

    [Fact(Timeout = 120_000)]
    public async Task TheSameIdempotencyKeyGivesTheSameInstanceAndTheOrderRunsOnce()
    {
        var sku = await fixture.StockAsync("idem", 10);
        var account = await fixture.AccountAsync(10_000);
        var key = Guid.NewGuid().ToString();
        var body = Body(sku, account, 1);

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostAsync("saga", key, body)));
        var id = concurrent[0].Response.Json.GetProperty("id").GetString()!;
        await fixture.WaitForCompletionAsync(id, TransactionFixture.Patience);
        var (late, _) = await PostAsync("saga", key, body);

        Assert.All(concurrent.Select(c => c.Response).Append(late), r => Assert.Equal(202, r.Status));
        Assert.All(concurrent.Select(c => c.Response).Append(late), r => Assert.Equal(id, r.Json.GetProperty("id").GetString()));
        Assert.Equal(1, concurrent.Count(c => c.Response.Json.GetProperty("started").GetBoolean()));
        Assert.False(late.Json.GetProperty("started").GetBoolean());
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.Client.GetInstanceAsync(id, Ct))!.RuntimeStatus);
        Assert.Equal(9, await fixture.AvailableAsync(fixture.Participants.Inventory, sku));
        Assert.Equal(10_000 - 250, await fixture.AvailableAsync(fixture.Participants.Payments, account));
    }

    [Fact(Timeout = 120_000)]
    public async Task ReusingAKeyForADifferentOrderIs422AndStartsNothing()
    {
        var sku = await fixture.StockAsync("reuse", 10);
        var account = await fixture.AccountAsync(10_000);
        var key = Guid.NewGuid().ToString();
        var (first, _) = await PostAsync("2pc", key, Body(sku, account, 1));
        await fixture.WaitForCompletionAsync(first.Json.GetProperty("id").GetString()!, TransactionFixture.Patience);

        var (second, _) = await PostAsync("2pc", key, Body(sku, account, 5));
        var (otherProtocol, _) = await PostAsync("saga", key, Body(sku, account, 1));

        Assert.Equal(422, second.Status);
        Assert.True(second.IsProblem, second.ContentType);
        Assert.Equal(422, otherProtocol.Status);
        Assert.Equal(9, await fixture.AvailableAsync(fixture.Participants.Inventory, sku));
    }

    [Fact(Timeout = 120_000)]
    public async Task AKeyClaimedByAStarterThatDiedBeforeSchedulingIsTakenOverAfterThirtySeconds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var claims = new RequestClaims(fixture.Tables, time);
        var starter = new TransactionStarter(fixture.Services.GetRequiredService<OrderPricing>(), claims, time, fixture.Options);
        var order = TransactionFixture.Order(await fixture.StockAsync("takeover", 10), await fixture.AccountAsync(10_000));
        var input = fixture.Input(order, TransactionProtocol.Saga);
        await claims.ClaimAsync(order.TransactionId, TransactionStarter.Fingerprint(input), Ct);

        var soon = await starter.ScheduleAsync(fixture.Client, input, Ct);
        var nothingYet = await fixture.Client.GetInstanceAsync(order.TransactionId, Ct);
        time.Advance(TransactionStarter.TakeOverAfter + TimeSpan.FromSeconds(1));
        var later = await starter.ScheduleAsync(fixture.Client, input, Ct);
        var again = await starter.ScheduleAsync(fixture.Client, input, Ct);

        Assert.Equal(StartStatus.AlreadyStarted, soon.Status);
        Assert.Null(nothingYet);
        Assert.Equal(StartStatus.Started, later.Status);
        Assert.Equal(StartStatus.AlreadyStarted, again.Status);
        await fixture.OutcomeAsync(order.TransactionId);
    }

    public static TheoryData<string, string?, string> BadRequests => new()
    {
        { "missing key", null, """{"sku":"{sku}","quantity":1,"account":"{account}","shipTo":"x"}""" },
        { "malformed body", "k", """{"sku":"{sku}","quantity":""" },
        { "not an object", "k", """[1,2]""" },
        { "empty body", "k", "" },
        { "zero quantity", "k", """{"sku":"{sku}","quantity":0,"account":"{account}","shipTo":"x"}""" },
        { "negative quantity", "k", """{"sku":"{sku}","quantity":-3,"account":"{account}","shipTo":"x"}""" },
        { "fractional quantity", "k", """{"sku":"{sku}","quantity":1.5,"account":"{account}","shipTo":"x"}""" },
        { "quantity as text", "k", """{"sku":"{sku}","quantity":"1","account":"{account}","shipTo":"x"}""" },
        { "unknown sku", "k", """{"sku":"no-such-sku","quantity":1,"account":"{account}","shipTo":"x"}""" },
        { "sku with a slash", "k", """{"sku":"a/b","quantity":1,"account":"{account}","shipTo":"x"}""" },
        { "unknown account", "k", """{"sku":"{sku}","quantity":1,"account":"nobody","shipTo":"x"}""" },
        { "no address", "k", """{"sku":"{sku}","quantity":1,"account":"{account}"}""" },
    };

    [Theory(Timeout = 30_000)]
    [MemberData(nameof(BadRequests))]
    public async Task BadInputIsAProblem400AndStartsNothing(string why, string? key, string template)
    {
        var sku = await fixture.StockAsync("bad", 10);
        var account = await fixture.AccountAsync(10_000);
        var uniqueKey = key is null ? null : $"{key}-{Guid.NewGuid()}";

        var (response, _) = await PostAsync("2pc", uniqueKey, template.Replace("{sku}", sku, StringComparison.Ordinal).Replace("{account}", account, StringComparison.Ordinal));

        Assert.True(response.Status == 400, $"{why}: {response.Status} {response.Body}");
        Assert.True(response.IsProblem, response.ContentType);
        if (uniqueKey is not null)
        {
            Assert.Null(await fixture.Client.GetInstanceAsync(TransactionStarter.InstanceIdFor(uniqueKey), Ct));
        }

        Assert.Equal(10, await fixture.AvailableAsync(fixture.Participants.Inventory, sku));
    }

    [Fact(Timeout = 30_000)]
    public async Task GetAnswers404ForAnUnknownIdAnd400ForAMalformedOne()
    {
        var unknown = await GetAsync(TransactionStarter.InstanceIdFor(Guid.NewGuid().ToString()));
        var malformed = await GetAsync("not-an-id");

        Assert.Equal(404, unknown.Status);
        Assert.True(unknown.IsProblem);
        Assert.Equal(400, malformed.Status);
        Assert.True(malformed.IsProblem);
    }

    private static string Body(string sku, string account, int quantity) =>
        $$"""{"sku":"{{sku}}","quantity":{{quantity}},"account":"{{account}}","shipTo":"1 Test Street"}""";

    private async Task<(ActionResults.Response Response, HttpRequest Request)> PostAsync(string protocol, string? key, string body)
    {
        var headers = key is null ? null : new Dictionary<string, string> { [TransactionFunctions.IdempotencyKeyHeader] = key };
        var request = ActionResults.Request("POST", body: body, headers: headers);
        var functions = fixture.Functions;
        IActionResult result = protocol == "saga"
            ? await functions.StartSaga(request, fixture.Client, Ct)
            : await functions.StartTwoPhaseCommit(request, fixture.Client, Ct);
        return (await ActionResults.ExecuteAsync(result, request), request);
    }

    private async Task<ActionResults.Response> GetAsync(string id)
    {
        var request = ActionResults.Request();
        return await ActionResults.ExecuteAsync(await fixture.Functions.Get(request, fixture.Client, id, Ct), request);
    }

    public sealed class Fixture(ServicesFixture services) : TransactionFixture(services);
}
