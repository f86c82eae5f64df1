using Microsoft.DurableTask.Client;
using Serverless.Functions.Counters;
using Serverless.Orchestrations.Counters;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Serverless.Tests.Locks;
using Xunit;
using static Serverless.Testing.ActionResults;

namespace Serverless.Tests.Counters;

[Collection(DurableCollection.Name)]
public sealed class CounterTests(CounterTests.Fixture fixture) : IClassFixture<CounterTests.Fixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact(Timeout = 60_000)]
    public async Task HundredConcurrentAddSignalsOverHttpCountToHundred()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = Unique();

        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() => PostAddAsync(name, """{"amount":1}"""), ct)));
        var value = await WaitForValueAsync(name, 100, ct);

        Assert.All(responses, r => Assert.Equal(202, r.Status));
        Assert.Equal(100, value);
        var read = await GetCounterAsync(name);
        Assert.Equal(100, read.Json.GetProperty("value").GetInt64());
    }

    [Fact(Timeout = 60_000)]
    public async Task ResetSetsTheCounterBackToZeroAndItStillExists()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = CounterEntity.IdFor(Unique());
        await fixture.Client.Entities.SignalEntityAsync(id, nameof(CounterEntity.Add), 5L, cancellation: ct);
        await fixture.Client.Entities.SignalEntityAsync(id, nameof(CounterEntity.Reset), cancellation: ct);
        await fixture.Client.Entities.SignalEntityAsync(id, nameof(CounterEntity.Add), 2L, cancellation: ct);

        Assert.Equal(2, await WaitForValueAsync(id.Key, 2, ct));
    }

    [Theory(Timeout = 30_000)]
    [InlineData("""{"amount":0}""")]
    [InlineData("""{"amount":1.5}""")]
    [InlineData("""{"amount":"1"}""")]
    [InlineData("""{"amount":10000000000}""")]
    [InlineData("""{}""")]
    [InlineData("not json")]
    public async Task BadAddIsAProblemAndSignalsNothing(string body)
    {
        var name = Unique();

        var response = await PostAddAsync(name, body);

        Assert.Equal((400, true), (response.Status, response.IsProblem));
        await Task.Delay(500, TestContext.Current.CancellationToken);
        var read = await GetCounterAsync(name);
        Assert.Equal((404, true), (read.Status, read.IsProblem));
    }

    [Fact(Timeout = 30_000)]
    public async Task BadCounterNameIsAProblem()
    {
        var response = await GetCounterAsync("no/slashes");

        Assert.Equal((400, true), (response.Status, response.IsProblem));
    }

    [Fact(Timeout = 90_000)]
    public async Task BoundedCounterNeverGoesBelowZeroUnderFiftyConcurrentTakers()
    {
        var ct = TestContext.Current.CancellationToken;
        var stock = Unique();
        await fixture.Client.Entities.SignalEntityAsync(BoundedCounterEntity.IdFor(stock), nameof(BoundedCounterEntity.Add), 60L, cancellation: ct);

        var amounts = Enumerable.Range(0, 50).Select(i => (long)(1 + (i % 3))).ToList();
        var ids = await Task.WhenAll(amounts.Select(a =>
            fixture.Client.ScheduleNewOrchestrationInstanceAsync(nameof(StockTakeOrchestrator), new StockTake(stock, a), ct)));
        var results = new List<(long Amount, TakeResult Result)>();
        foreach (var (id, amount) in ids.Zip(amounts))
        {
            var done = await fixture.WaitForCompletionAsync(id, Patience);
            results.Add((amount, done.ReadOutputAs<TakeResult>()!));
        }

        var taken = results.Where(r => r.Result.Taken).Sum(r => r.Amount);
        var remaining = (await fixture.Client.Entities.GetEntityAsync<long>(BoundedCounterEntity.IdFor(stock), cancellation: ct))!.State;
        Assert.All(results, r => Assert.True(r.Result.Remaining >= 0));
        Assert.Contains(results, r => !r.Result.Taken);
        Assert.True(taken <= 60);
        Assert.Equal(60 - taken, remaining);
        Assert.True(remaining < 3, $"a taker was refused although {remaining} remained");
    }

    [Fact(Timeout = 120_000)]
    public async Task ConcurrentTransfersInBothDirectionsKeepTheTotalAndNeverOverdraw()
    {
        var ct = TestContext.Current.CancellationToken;
        var (a, b) = (Unique(), Unique());
        await fixture.Client.Entities.SignalEntityAsync(CounterEntity.IdFor(a), nameof(CounterEntity.Add), 50L, cancellation: ct);
        await fixture.Client.Entities.SignalEntityAsync(CounterEntity.IdFor(b), nameof(CounterEntity.Add), 5L, cancellation: ct);
        await WaitForValueAsync(a, 50, ct);
        await WaitForValueAsync(b, 5, ct);

        var transfers = Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? new Transfer(a, b, 10) : new Transfer(b, a, 10)).ToList();
        var ids = await Task.WhenAll(transfers.Select(t => fixture.Client.ScheduleNewOrchestrationInstanceAsync(nameof(TransferOrchestrator), t, ct)));
        var results = new List<TransferResult>();
        foreach (var id in ids)
        {
            var done = await fixture.WaitForCompletionAsync(id, Patience);
            Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
            results.Add(done.ReadOutputAs<TransferResult>()!);
        }

        var finalA = (await fixture.Client.Entities.GetEntityAsync<long>(CounterEntity.IdFor(a), cancellation: ct))!.State;
        var finalB = (await fixture.Client.Entities.GetEntityAsync<long>(CounterEntity.IdFor(b), cancellation: ct))!.State;
        Assert.Equal(55, finalA + finalB);
        Assert.All(results, r => Assert.True(r.FromBalance >= 0 && r.ToBalance >= 0));
        Assert.All(results, r => Assert.Equal(55, r.FromBalance + r.ToBalance));
        Assert.Contains(results, r => r.Succeeded);
    }

    private async Task<long> WaitForValueAsync(string name, long expected, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Patience);
        while (true)
        {
            var entity = await fixture.Client.Entities.GetEntityAsync<long>(CounterEntity.IdFor(name), cancellation: deadline.Token);
            if (entity?.State == expected)
            {
                return entity.State;
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    private async Task<Response> PostAddAsync(string name, string body)
    {
        var request = Request("POST", body: body);
        return await ExecuteAsync(await CounterFunctions.Add(request, name, fixture.Client, TestContext.Current.CancellationToken), request);
    }

    private async Task<Response> GetCounterAsync(string name)
    {
        var request = Request();
        return await ExecuteAsync(await CounterFunctions.Get(request, name, fixture.Client, TestContext.Current.CancellationToken), request);
    }

    private static string Unique() => "c" + Guid.NewGuid().ToString("N")[..12];

    public sealed class Fixture(ServicesFixture services) : LocksDurableFixture(services);
}
