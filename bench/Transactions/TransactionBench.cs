using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Bench.Harness;
using Serverless.Core.Transactions;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Testing.Durable;

namespace Serverless.Bench.Transactions;

/// <summary>
/// 2PC and saga orders end to end (schedule → completed) on the Azurite durable backend, against a no-op
/// 3-activity orchestration on the same hub in the same run: the backend's ceiling for a 3-step workflow.
/// </summary>
public static class TransactionBench
{
    // Completion is seen by polling the instance; the interval bounds latency resolution.
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    public static async Task RunAsync(TimeSpan duration)
    {
        await using var azurite = await AzuriteServer.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = "127.0.0.1:1",
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Transactions:TablePrefix"] = "bench",
        }).Build();
        await using var provider = new ServiceCollection().AddLogging().AddServerless(configuration).BuildServiceProvider();
        await using var backend = await DurableBackend.StartAsync(azurite.ConnectionString, Register, provider);
        var participants = provider.GetRequiredService<TransactionParticipants>();
        await participants.Inventory.ProvisionAsync("bench-sku", 100_000_000, unitPrice: 1);
        var accounts = Enumerable.Range(0, 64).Select(i => $"bench-acct-{i}").ToArray();
        foreach (var account in accounts)
        {
            await participants.Payments.ProvisionAsync(account, 1_000_000_000);
        }

        var options = new TransactionOptions();
        var counter = 0L;
        Task Order(TransactionProtocol protocol)
        {
            var n = Interlocked.Increment(ref counter);
            var order = new TransactionOrder($"txn-bench-{n}", "bench-sku", 1, accounts[n % accounts.Length], 1, "Bench Street 1");
            return RunToCompletionAsync(backend.Client, TransactionStarter.OrchestratorFor(protocol), TransactionInput.From(order, protocol, options), order.TransactionId);
        }

        Task Noop() => RunToCompletionAsync(backend.Client, nameof(NoopChainOrchestrator), null, $"noop-{Interlocked.Increment(ref counter)}");

        var rows = new List<(Throughput.Result, Throughput.Result)>();
        foreach (var concurrency in new[] { 1, 16 })
        {
            var ceiling = await Throughput.MeasureAsync("no-op 3-activity chain", concurrency, duration, Noop);
            rows.Add((await Throughput.MeasureAsync("2PC order", concurrency, duration, () => Order(TransactionProtocol.TwoPhaseCommit)), ceiling));
            rows.Add((await Throughput.MeasureAsync("saga order", concurrency, duration, () => Order(TransactionProtocol.Saga)), ceiling));
        }

        var report = await provider.GetRequiredService<InvariantChecker>().CheckAsync();
        await new Report("Transactions: 2PC and saga orders vs a no-op 3-activity orchestration (same durable backend, same run)")
            .Line($"Backend: DurableTask.AzureStorage on Azurite (in-memory), 2 partitions, one worker; ops/s = orders completed per second, latency = schedule to completed (polled every {Poll.TotalMilliseconds:F0} ms).")
            .Line($"{duration.TotalSeconds:F0} s per measurement after warm-up; ratio = ours / no-op chain. Worker, client and Azurite share the machine's 2 cores: compare ratios, not absolutes.")
            .Line("")
            .Table(rows)
            .Line($"Invariants after the run: {report}.")
            .SaveAsync("transactions");
    }

    private static void Register(DurableTaskRegistry registry)
    {
        registry.AddTransactionTasks();
        registry.AddOrchestrator<NoopChainOrchestrator>();
        registry.AddActivity<NoopActivity>();
    }

    private static async Task RunToCompletionAsync(DurableTaskClient client, string orchestrator, object? input, string id)
    {
        await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, new StartOrchestrationOptions(id));
        while (await client.GetInstanceAsync(id) is not { IsCompleted: true } done)
        {
            await Task.Delay(Poll);
        }
    }

    /// <summary>The ceiling: three activities that do nothing, in sequence.</summary>
    public sealed class NoopChainOrchestrator : TaskOrchestrator<object?, int>
    {
        public override async Task<int> RunAsync(TaskOrchestrationContext context, object? input)
        {
            var sum = 0;
            for (var i = 0; i < 3; i++)
            {
                sum += await context.CallActivityAsync<int>(nameof(NoopActivity), i);
            }

            return sum;
        }
    }

    public sealed class NoopActivity : TaskActivity<int, int>
    {
        public override Task<int> RunAsync(TaskActivityContext context, int input) => Task.FromResult(input);
    }
}
