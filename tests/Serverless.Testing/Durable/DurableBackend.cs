using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using CoreTaskEntity = DurableTask.Core.Entities.TaskEntity;
using CoreTaskOrchestration = DurableTask.Core.TaskOrchestration;

namespace Serverless.Testing.Durable;

/// <summary>
/// Our SDK orchestrators, activities and entities running on the backend the Functions host runs
/// (DurableTask.Core + DurableTask.AzureStorage) against the test Azurite, with a client over the same task hub.
/// </summary>
public sealed class DurableBackend : IAsyncDisposable
{
    private readonly AzureStorageOrchestrationService _service;
    private readonly TaskHubWorker _worker;
    private readonly StartArguments _arguments;
    private readonly ServiceProvider? _ownedServices;
    private bool _workerRunning = true;
    private bool _ownsTaskHub = true;

    private DurableBackend(
        AzureStorageOrchestrationService service, TaskHubWorker worker, StartArguments arguments, ServiceProvider? ownedServices)
    {
        _service = service;
        _worker = worker;
        _arguments = arguments;
        _ownedServices = ownedServices;
        Client = new CoreDurableTaskClient(service, JsonDataConverter.Default) { BackendLogs = arguments.Logs };
    }

    public DurableTaskClient Client { get; }

    public string TaskHub => _arguments.TaskHub;

    /// <summary>Letters and digits only, starting with a letter: the Azure Storage rule for task hub names.</summary>
    public static string NewTaskHubName() => "t" + Guid.NewGuid().ToString("N")[..12];

    /// <param name="services">Where activities and entities get their constructor dependencies (the app container).</param>
    /// <param name="taskHub">An existing hub to attach to (a "new process" on the same hub); a fresh one when null.</param>
    public static async Task<DurableBackend> StartAsync(
        string storageConnectionString,
        Action<DurableTaskRegistry> register,
        IServiceProvider? services = null,
        string? taskHub = null,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(storageConnectionString);
        ArgumentNullException.ThrowIfNull(register);
        var logs = new RecentBackendLogs();
        var arguments = new StartArguments(
            storageConnectionString, register, services, taskHub ?? NewTaskHubName(), logs, WithRecentLogs(loggerFactory, logs));
        return await StartAsync(arguments);
    }

    private static async Task<DurableBackend> StartAsync(StartArguments arguments)
    {
        var ownedServices = arguments.Services is null ? new ServiceCollection().BuildServiceProvider() : null;
        var service = new AzureStorageOrchestrationService(Settings(arguments));
        try
        {
            await service.CreateIfNotExistsAsync();
            var worker = CreateWorker(service, arguments, arguments.Services ?? ownedServices!);
            await worker.StartAsync();
            return new DurableBackend(service, worker, arguments, ownedServices);
        }
        catch
        {
            service.Dispose();
            if (ownedServices is not null)
            {
                await ownedServices.DisposeAsync();
            }

            throw;
        }
    }

    // The backend logs to the caller's factory (silent unless a test adds a provider) and to the ring a timeout quotes.
    private static ILoggerFactory WithRecentLogs(ILoggerFactory? inner, RecentBackendLogs logs) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(LogLevel.Information);
        builder.AddProvider(logs);
        if (inner is not null)
        {
            builder.AddProvider(new ForwardingLoggerProvider(inner));
        }
    });

    /// <summary>
    /// Simulates a crash: stops polling at once, without waiting for in-flight work items or checkpointing them.
    /// Work this worker had dequeued comes back on the queues for the next worker.
    /// </summary>
    public async Task StopWorkerAsync()
    {
        if (_workerRunning)
        {
            _workerRunning = false;
            await _worker.StopAsync(isForced: true);
        }
    }

    /// <summary>
    /// A new "process" on the same task hub: this worker is stopped (as by <see cref="StopWorkerAsync"/>) and a new
    /// service and worker take over. The returned backend owns the hub now; dispose both.
    /// </summary>
    public async Task<DurableBackend> RestartAsync()
    {
        await StopWorkerAsync();
        var next = await StartAsync(_arguments);
        _ownsTaskHub = false;
        return next;
    }

    /// <summary>Stops the worker and deletes the task hub's queues, tables and blobs (unless handed over by a restart).</summary>
    public async ValueTask DisposeAsync()
    {
        // Forced: the hub is deleted next, so there is nothing worth finishing.
        await StopWorkerAsync();
        if (_ownsTaskHub)
        {
            await _service.DeleteAsync();
        }

        _worker.Dispose();
        _service.Dispose();
        if (_ownedServices is not null)
        {
            await _ownedServices.DisposeAsync();
        }
    }

    private static AzureStorageOrchestrationServiceSettings Settings(StartArguments arguments) => new()
    {
        TaskHubName = arguments.TaskHub,
        StorageAccountClientProvider = new StorageAccountClientProvider(arguments.ConnectionString),

        // Default polling backs off to 30 s when idle; tests wait for each step, so keep it short.
        MaxQueuePollingInterval = TimeSpan.FromMilliseconds(200),

        // Few partitions: less lease and queue traffic against Azurite per hub.
        PartitionCount = 2,

        // Without it entity messages go to the orchestration dispatcher and loop with "Orchestration not found".
        UseSeparateQueueForEntityWorkItems = true,

        // A crashed worker neither releases its partition leases nor returns the messages it had dequeued: the next
        // worker waits for the lease to expire (30 s by default) and for those messages to become visible again
        // (5 min by default). Test-sized values let crash tests finish in seconds; renewal keeps live work locked.
        // A message is not renewed while it is processed: an Azurite stalled past 15 s (seen beside the 2,000-job
        // campaign before it ran alone) lets an ExecutionStarted reappear mid-work, and its second run finds its own
        // history ("split brain") and loops on pop receipt mismatches. Kept at 15 s all the same: the transaction
        // crash tests' 20 s prepare timeout must outlast a restart's wait for these messages.
        LeaseInterval = TimeSpan.FromSeconds(6),
        LeaseRenewInterval = TimeSpan.FromSeconds(2),
        LeaseAcquireInterval = TimeSpan.FromSeconds(2),
        ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(15),
        WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(15),

        // Each start is a distinct worker (as a new process would be), so a restart has to take over the leases.
        WorkerId = $"{arguments.TaskHub}-{Guid.NewGuid():N}",
        LoggerFactory = arguments.LoggerFactory,
    };

    private static TaskHubWorker CreateWorker(AzureStorageOrchestrationService service, StartArguments arguments, IServiceProvider services)
    {
        var factory = TaskFactoryBuildTarget.BuildFactory(arguments.Register);

        // The worker options' default converter is the SDK's System.Text.Json one; set it anyway, as the client uses it too.
        var shims = new DurableTaskShimFactory(
            new DurableTaskWorkerOptions { EnableEntitySupport = true, DataConverter = JsonDataConverter.Default }, arguments.LoggerFactory);
        var worker = new TaskHubWorker(
            service,
            new UnusedObjectManager<CoreTaskOrchestration>(),
            new ActivityShimCatalog(factory, shims, services),
            new UnusedObjectManager<CoreTaskEntity>(),
            arguments.LoggerFactory)
        {
            ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
        };
        var middleware = new SdkDispatchMiddleware(factory, shims, services, service.EventBehaviourForContinueAsNew);
        worker.AddOrchestrationDispatcherMiddleware(middleware.RunOrchestrationAsync);
        worker.AddEntityDispatcherMiddleware(middleware.RunEntityBatchAsync);
        return worker;
    }

    private sealed record StartArguments(
        string ConnectionString,
        Action<DurableTaskRegistry> Register,
        IServiceProvider? Services,
        string TaskHub,
        RecentBackendLogs Logs,
        ILoggerFactory LoggerFactory);

    private sealed class ForwardingLoggerProvider(ILoggerFactory inner) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => inner.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
