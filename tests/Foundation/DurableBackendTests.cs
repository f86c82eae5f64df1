using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Tests.Foundation.DurableSamples;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;

namespace Serverless.Tests.Foundation;

[Collection(DurableCollection.Name)]
public sealed class DurableBackendTests(DurableBackendTests.Fixture fixture) : IClassFixture<DurableBackendTests.Fixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 60_000)]
    public async Task OrchestrationRunsActivitiesSubOrchestrationTimerAndExternalEvent()
    {
        var ct = TestContext.Current.CancellationToken;
        var started = Stopwatch.StartNew();
        var id = await fixture.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalJourneyOrchestrator), "Ada", ct);

        await fixture.Client.WaitUntilAsync(
            id, m => m.SerializedCustomStatus is not null && m.ReadCustomStatusAs<string>() == ApprovalJourneyOrchestrator.WaitingStatus,
            "to wait for approval", Patience, ct);
        await fixture.Client.RaiseEventAsync(id, ApprovalJourneyOrchestrator.ApprovalEvent, "approved by Grace", ct);
        var done = await fixture.WaitForCompletionAsync(id, Patience);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(
            new ApprovalJourneyResult("Hello Ada", 1, $"Ada from {nameof(ApprovalJourneyOrchestrator)}/{id}", "approved by Grace"),
            done.ReadOutputAs<ApprovalJourneyResult>());
        Assert.Equal(1, fixture.Services.GetRequiredService<ActivityRunLog>().Runs(id));
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(1), "the durable timer should have delayed the orchestration");
    }

    [Fact(Timeout = 60_000)]
    public async Task EntityKeepsStateAcrossSignalsAndCalls()
    {
        var ct = TestContext.Current.CancellationToken;
        var counter = new EntityInstanceId(nameof(CounterEntity), $"c{Guid.NewGuid():N}");

        for (var i = 0; i < 5; i++)
        {
            await fixture.Client.Entities.SignalEntityAsync(counter, nameof(CounterEntity.Add), 1, cancellation: ct);
        }

        Assert.Equal(5, await WaitForEntityStateAsync(counter, 5, ct));
        var id = await fixture.Client.ScheduleNewOrchestrationInstanceAsync(nameof(CounterCallerOrchestrator), new CounterCall(counter.Key, 10), ct);
        var done = await fixture.WaitForCompletionAsync(id, Patience);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(15, done.ReadOutputAs<int>());
        var entity = await fixture.Client.Entities.GetEntityAsync<int>(counter, cancellation: ct);
        Assert.Equal(15, entity?.State);
        var listed = new List<EntityMetadata<int>>();
        await foreach (var found in fixture.Client.Entities.GetAllEntitiesAsync<int>(new() { InstanceIdStartsWith = counter.ToString() }).WithCancellation(ct))
        {
            listed.Add(found);
        }

        Assert.Equal(counter, Assert.Single(listed).Id);
    }

    [Fact(Timeout = 60_000)]
    public async Task OrchestrationSurvivesWorkerCrashAndCompletesOnNewWorker()
    {
        var ct = TestContext.Current.CancellationToken;
        var runId = Guid.NewGuid().ToString("N");
        var log = fixture.Services.GetRequiredService<ActivityRunLog>();
        var id = await fixture.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SlowStepsOrchestrator), new SlowStepsOrchestrator.Run(runId, 3), ct);

        // Custom status 1 is written with the checkpoint that records step 1's result: step 2 is in flight now.
        await fixture.Client.WaitUntilAsync(id, m => m.SerializedCustomStatus == "1", "past step 1", Patience, ct);
        await fixture.RestartWorkerAsync();
        var done = await fixture.WaitForCompletionAsync(id, Patience);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal([10, 20, 30], done.ReadOutputAs<int[]>() ?? []);
        Assert.Equal(1, log.Runs(SlowStepActivity.RunKey(runId, 1)));
        Assert.InRange(log.Runs(SlowStepActivity.RunKey(runId, 2)), 1, 2);
        Assert.InRange(log.Runs(SlowStepActivity.RunKey(runId, 3)), 1, 2);
    }

    [Fact(Timeout = 60_000)]
    public async Task StarterFunctionTakesTheAdapterClient()
    {
        var ct = TestContext.Current.CancellationToken;
        var orderId = Guid.NewGuid().ToString("N");

        var id = await StartOrderAsync(fixture.Client, orderId, ct);
        await fixture.WaitForCompletionAsync(id, Patience);
        var instance = await fixture.Client.GetInstanceAsync(id, getInputsAndOutputs: true, ct);

        Assert.Equal($"order-{orderId}", id);
        Assert.NotNull(instance);
        Assert.Equal(nameof(ParentEchoOrchestrator), instance.Name);
        Assert.Equal(orderId, instance.ReadInputAs<string>());
        Assert.Equal($"{orderId} from nobody/none", instance.ReadOutputAs<string>());
    }

    // Shaped like an HTTP starter: it only sees the DurableTaskClient that [DurableClient] binds.
    private static Task<string> StartOrderAsync(DurableTaskClient client, string orderId, CancellationToken ct) =>
        client.ScheduleNewOrchestrationInstanceAsync(
            nameof(ParentEchoOrchestrator), orderId, new StartOrchestrationOptions($"order-{orderId}"), ct);

    private async Task<int> WaitForEntityStateAsync(EntityInstanceId id, int expected, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Patience);
        while (true)
        {
            var entity = await fixture.Client.Entities.GetEntityAsync<int>(id, cancellation: deadline.Token);
            if (entity?.State == expected)
            {
                return entity.State;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
        }
    }

    public sealed class Fixture(ServicesFixture services) : DurableFixture(services)
    {
        protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<ActivityRunLog>();

        protected override void Register(DurableTaskRegistry registry)
        {
            registry.AddOrchestrator<ApprovalJourneyOrchestrator>();
            registry.AddOrchestrator<ParentEchoOrchestrator>();
            registry.AddOrchestrator<CounterCallerOrchestrator>();
            registry.AddOrchestrator<SlowStepsOrchestrator>();
            registry.AddActivity<GreetingActivity>();
            registry.AddActivity<RecordingActivity>();
            registry.AddActivity<SlowStepActivity>();
            registry.AddEntity<CounterEntity>();
        }
    }
}
