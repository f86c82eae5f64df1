using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serverless.Core.Transactions;
using Serverless.Functions.Transactions;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;

namespace Serverless.Tests.Transactions;

/// <summary>
/// A task hub plus the transaction stores under a table prefix of their own, with test-speed timeouts and the
/// fault rules of <see cref="FaultScenarios"/> bound from configuration (as the app would bind them).
/// Each fault rule only touches orders whose SKU starts with its scenario name.
/// </summary>
public class TransactionFixture(ServicesFixture services) : DurableFixture(services)
{
    // A happy path takes 1–8 s here; a busy CI machine has been seen to hold one orchestration for over 40 s.
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(75);

    /// <summary>Prepare/step timeout for tests about timeouts: well under <see cref="FaultScenarios.Slow"/>.</summary>
    public static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(3);

    private readonly string _tablePrefix = "t" + Guid.NewGuid().ToString("N")[..10];

    public TransactionParticipants Participants => Services.GetRequiredService<TransactionParticipants>();

    public InvariantChecker Checker => Services.GetRequiredService<InvariantChecker>();

    public DecisionLog Decisions => Services.GetRequiredService<DecisionLog>();

    public AttentionLog Attention => Services.GetRequiredService<AttentionLog>();

    public TransactionTables Tables => Services.GetRequiredService<TransactionTables>();

    public TransactionOptions Options => Services.GetRequiredService<IOptions<TransactionOptions>>().Value;

    public TransactionFunctions Functions => ActivatorUtilities.CreateInstance<TransactionFunctions>(Services);

    public TransactionStarter Starter => ActivatorUtilities.CreateInstance<TransactionStarter>(Services, Options);

    public TransactionRecovery Recovery => ActivatorUtilities.CreateInstance<TransactionRecovery>(Services);

    /// <summary>A fresh SKU in <paramref name="scenario"/> with <paramref name="stock"/> units at 250 cents each.</summary>
    public async Task<string> StockAsync(string scenario, long stock)
    {
        var sku = $"{scenario}-{Guid.NewGuid():N}"[..Math.Min(64, scenario.Length + 13)];
        await Participants.Inventory.ProvisionAsync(sku, stock, unitPrice: 250);
        return sku;
    }

    /// <summary>A fresh account holding <paramref name="cents"/>.</summary>
    public async Task<string> AccountAsync(long cents)
    {
        var account = $"acct-{Guid.NewGuid():N}"[..17];
        await Participants.Payments.ProvisionAsync(account, cents);
        return account;
    }

    public static TransactionOrder Order(string sku, string account, int quantity = 1, string? id = null) =>
        new(id ?? $"txn-{Guid.NewGuid():N}", sku, quantity, account, 250L * quantity, "1 Test Street");

    public TransactionInput Input(TransactionOrder order, TransactionProtocol protocol) => TransactionInput.From(order, protocol, Options);

    public async Task<string> StartAsync(TransactionOrder order, TransactionProtocol protocol, TimeSpan? timeout = null)
    {
        var input = Input(order, protocol);
        var started = await Starter.ScheduleAsync(Client, timeout is { } t ? input with { Timeout = t } : input, TestContext.Current.CancellationToken);
        Assert.Equal(StartStatus.Started, started.Status);
        return started.InstanceId!;
    }

    /// <summary>Runs the order to the end and returns the outcome (the orchestration must complete, not fail).</summary>
    public async Task<TransactionOutcome> RunAsync(TransactionOrder order, TransactionProtocol protocol, TimeSpan? timeout = null)
    {
        var id = await StartAsync(order, protocol, timeout);
        return await OutcomeAsync(id);
    }

    public async Task<TransactionOutcome> OutcomeAsync(string id)
    {
        var done = await WaitForCompletionAsync(id, Patience);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{id} ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        return done.ReadOutputAs<TransactionOutcome>()!;
    }

    /// <summary>Waits until every stalled call of the step has done its work (at least one must have been stalled).</summary>
    public async Task WaitForStalledCallsAsync(TransactionOrder order, ParticipantName participant, string operation)
    {
        var faults = Services.GetRequiredService<FaultInjector>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(Patience);
        while (faults.Stalls(order.TransactionId, participant, operation) is var (stalled, done) && (stalled == 0 || done < stalled))
        {
            Assert.False(deadline.IsCancellationRequested, $"{participant}.{operation} of {order.TransactionId}: {done} of {stalled} stalled calls landed within {Patience.TotalSeconds:0} s.");
            await Task.Delay(100, CancellationToken.None);
        }
    }

    /// <summary>The entry state of every participant for <paramref name="order"/> (None when absent).</summary>
    public async Task<ParticipantState[]> StatesAsync(TransactionOrder order)
    {
        var states = new List<ParticipantState>();
        foreach (var participant in Participants.All)
        {
            states.Add((await participant.GetAsync(order))?.State ?? ParticipantState.None);
        }

        return [.. states];
    }

    public async Task<long> AvailableAsync(TransactionParticipant participant, string partition) =>
        (await participant.GetResourceAsync(partition))!.Available;

    /// <summary>Asserts every invariant holds over all stores of this fixture.</summary>
    public async Task<InvariantReport> AssertInvariantsAsync(IReadOnlyDictionary<string, bool>? reportedApplied = null)
    {
        var report = await Checker.CheckAsync(reportedApplied, TestContext.Current.CancellationToken);
        Assert.True(report.Violations.Count == 0, string.Join(Environment.NewLine, report.Violations));
        return report;
    }

    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("Transactions:TablePrefix", _tablePrefix),
        // Generous, so a loaded machine never turns a happy path into a timeout; timeout tests pass ShortTimeout.
        new("Transactions:PrepareTimeout", "00:00:20"),
        new("Transactions:StepTimeout", "00:00:20"),
        new("Transactions:RetryAttempts", "3"),
        new("Transactions:RetryFirstInterval", "00:00:00.200"),
        new("Transactions:DeliveryRounds", "3"),
        .. FaultScenarios.Settings(),
    ];

    protected override void ConfigureServices(IServiceCollection services)
    {
        // The app's own binding, fed from this fixture's settings: faults reach the app as configuration only.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings()).Build();
        services.Configure<TransactionOptions>(configuration.GetSection(TransactionOptions.Section));
        services.Configure<TransactionFaultOptions>(configuration.GetSection(TransactionFaultOptions.Section));
    }

    protected override void Register(DurableTaskRegistry registry) => registry.AddTransactionTasks();
}
