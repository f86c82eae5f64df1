using System.Diagnostics;
using Microsoft.DurableTask.Client;
using Serverless.Core.Transactions;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;

namespace Serverless.Tests.Transactions;

/// <summary>
/// Hundreds of orders under random injected exceptions, lost acknowledgements, stalls past the timeout and worker
/// restarts at random points, then the invariant checker over every store. Seeded: a failure can be replayed.
/// </summary>
[Collection(DurableCollection.Name)]
public sealed class FaultCampaignTests(FaultCampaignTests.Fixture fixture) : IClassFixture<FaultCampaignTests.Fixture>
{
    private const int Orders = 200;
    private const int Seed = 7_2026;

    [Theory(Timeout = 240_000)]
    [InlineData(TransactionProtocol.TwoPhaseCommit)]
    [InlineData(TransactionProtocol.Saga)]
    public async Task TwoHundredOrdersUnderRandomFaultsAndRestartsEndConsistentWithNoViolations(TransactionProtocol protocol)
    {
        var clock = Stopwatch.StartNew();
        var random = new Random(Seed + (int)protocol);
        var skus = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => fixture.StockAsync(FaultScenarios.Campaign, 40)));
        var accounts = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => fixture.AccountAsync(i % 4 == 0 ? 1_000 : 20_000)));
        var prefix = $"camp{(int)protocol}-{Guid.NewGuid():N}"[..14];
        var orders = Enumerable.Range(0, Orders)
            .Select(i => TransactionFixture.Order(skus[random.Next(skus.Length)], accounts[random.Next(accounts.Length)], random.Next(1, 4), $"{prefix}-{i:D3}"))
            .ToList();

        // Restart the worker three times, each once a random share of the orders has finished.
        var restartAt = new Queue<int>(new[] { random.Next(10, 60), random.Next(70, 130), random.Next(140, 190) });
        var restarts = 0;
        foreach (var chunk in orders.Chunk(25))
        {
            await Task.WhenAll(chunk.Select(o => fixture.StartAsync(o, protocol)));
        }

        var finished = await DurableBatches.WaitForAllAsync(() => fixture.Client, prefix, Orders, TimeSpan.FromSeconds(200), TimeSpan.FromSeconds(1), async done =>
        {
            if (restartAt.TryPeek(out var next) && done >= next)
            {
                restartAt.Dequeue();
                restarts++;
                await fixture.RestartWorkerAsync();
            }
        });
        var elapsed = clock.Elapsed;

        Assert.All(finished, f => Assert.True(f.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{f.InstanceId} {f.RuntimeStatus}: {f.FailureDetails?.ErrorMessage}"));
        var outcomes = finished.ToDictionary(f => f.InstanceId, f => f.ReadOutputAs<TransactionOutcome>()!);
        var recovery = await fixture.Recovery.RecoverAsync(fixture.Client, TimeSpan.Zero, ct: TestContext.Current.CancellationToken);
        var report = await fixture.Checker.CheckAsync(
            outcomes.Where(o => o.Value.Result != TransactionResult.NeedsAttention).ToDictionary(o => o.Key, o => o.Value.Result == TransactionResult.Applied),
            TestContext.Current.CancellationToken);

        var steps = outcomes.Values.SelectMany(o => o.Steps).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{protocol}: {Orders} orders in {elapsed.TotalSeconds:F0} s with {restarts} worker restarts; " +
            $"applied {outcomes.Values.Count(o => o.Result == TransactionResult.Applied)}, " +
            $"rolled back {outcomes.Values.Count(o => o.Result == TransactionResult.RolledBack)}, " +
            $"needs attention {outcomes.Values.Count(o => o.Result == TransactionResult.NeedsAttention)}; " +
            $"steps failed after retries {steps.Count(s => s.Result.StartsWith("failed", StringComparison.Ordinal))}, " +
            $"timed out {steps.Count(s => s.Result == "timed out")}, redelivered {steps.Count(s => s.Result.Contains("(round", StringComparison.Ordinal))}, " +
            $"refused {steps.Count(s => s.Result is "No" or "Refused")}; recovery after the run: {recovery}; invariants: {report}.");
        Assert.True(report.Violations.Count == 0, string.Join(Environment.NewLine, report.Violations));
        Assert.Equal(0, recovery.Examined);
        Assert.DoesNotContain(outcomes.Values, o => o.Result == TransactionResult.NeedsAttention);
        Assert.Contains(outcomes.Values, o => o.Result == TransactionResult.Applied);
        Assert.Contains(outcomes.Values, o => o.Result == TransactionResult.RolledBack);
    }

    /// <summary>
    /// Five attempts per call: with ~8 % of calls failing, a step fails for good about once in 30,000. A 15 s
    /// timeout: with 200 orders queued at once a step waits seconds for a worker, and the campaign is about
    /// injected stalls (20 s), not about the backend's queueing.
    /// </summary>
    public sealed class Fixture(ServicesFixture services) : TransactionFixture(services)
    {
        private static readonly Dictionary<string, string?> Overrides = new()
        {
            ["Transactions:RetryAttempts"] = "5",
            ["Transactions:PrepareTimeout"] = "00:00:15",
            ["Transactions:StepTimeout"] = "00:00:15",
        };

        protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
            [.. base.Settings().Where(s => !Overrides.ContainsKey(s.Key)), .. Overrides];
    }
}
