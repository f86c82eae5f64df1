using DurableTask.Core;
using DurableTask.Core.Entities;
using DurableTask.Core.History;
using DurableTask.Core.Query;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using CoreOrchestrationQuery = DurableTask.Core.Query.OrchestrationQuery;
using CorePurgeResult = DurableTask.Core.PurgeResult;
using OrchestrationQuery = Microsoft.DurableTask.Client.OrchestrationQuery;
using PurgeResult = Microsoft.DurableTask.Client.PurgeResult;

namespace Serverless.Testing.Durable;

/// <summary>
/// The <see cref="DurableTaskClient"/> a starter function gets from <c>[DurableClient]</c>, implemented over the core
/// backend client, so starter functions are tested with the exact type they take. Payloads go through the SDK's
/// System.Text.Json converter, the same one the worker shims use (the core default is Newtonsoft with $type).
/// </summary>
public sealed class CoreDurableTaskClient : DurableTaskClient
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    // Like the Functions host default: starting an instance id that is still in flight is refused.
    private static readonly OrchestrationStatus[] InFlightStatuses =
        [OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.Suspended];

    private readonly IOrchestrationServiceClient _client;
    private readonly DataConverter _converter;
    private readonly CoreDurableEntityClient? _entities;

    public CoreDurableTaskClient(IOrchestrationServiceClient client, DataConverter converter, string name = "Core")
        : base(name)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _converter = converter ?? throw new ArgumentNullException(nameof(converter));
        if (client is IEntityOrchestrationService { EntityBackendQueries: { } queries, EntityBackendProperties: { } properties })
        {
            _entities = new CoreDurableEntityClient(name, client, queries, properties, converter);
        }
    }

    /// <summary>The backend's recent notable logs, quoted when a wait times out.</summary>
    public RecentBackendLogs? BackendLogs { get; init; }

    /// <summary>
    /// For a timeout message: the instance's last history events (what it is waiting on) and the backend's recent
    /// warnings and ownership changes. Never throws: it runs when something is already wrong.
    /// </summary>
    public async Task<string> DescribeAsync(string instanceId)
    {
        var text = new System.Text.StringBuilder();
        try
        {
            var states = await _client.GetOrchestrationStateAsync(instanceId, allExecutions: false);
            var execution = states?.FirstOrDefault()?.OrchestrationInstance?.ExecutionId;
            var history = await _client.GetOrchestrationHistoryAsync(instanceId, execution);
            using var events = System.Text.Json.JsonDocument.Parse(history);
            var all = events.RootElement.EnumerateArray().ToList();
            text.Append($" History ({all.Count} events, last 15):");
            foreach (var e in all.TakeLast(15))
            {
                var type = e.TryGetProperty("EventType", out var t) && t.TryGetInt32(out var n) ? ((EventType)n).ToString() : t.ToString();
                var name = e.TryGetProperty("Name", out var nm) && nm.ValueKind == System.Text.Json.JsonValueKind.String ? " " + nm.GetString() : "";
                var at = e.TryGetProperty("Timestamp", out var ts) ? ts.ToString() : "";
                text.Append($" [{at} {type}{name}]");
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            text.Append($" History unavailable: {ex.GetType().Name}: {ex.Message}");
        }

        if (BackendLogs?.Describe() is { Length: > 0 } logs)
        {
            text.Append(Environment.NewLine).Append("Backend's recent warnings and ownership events:").Append(Environment.NewLine).Append(logs);
        }

        return text.ToString();
    }

    public override DurableEntityClient Entities =>
        _entities ?? throw new NotSupportedException($"{_client.GetType().Name} does not support entities.");

    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(
        TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        var instance = new OrchestrationInstance
        {
            InstanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N"),
            ExecutionId = Guid.NewGuid().ToString("N"),
        };
        var started = new ExecutionStartedEvent(-1, _converter.Serialize(input))
        {
            Name = orchestratorName.Name,
            Version = options?.Version?.Version ?? string.Empty,
            OrchestrationInstance = instance,
            ScheduledStartTime = options?.StartAt?.UtcDateTime,
            Tags = options?.Tags?.ToDictionary(t => t.Key, t => t.Value) ?? [],
        };
        var dedupe = options?.DedupeStatuses is { Count: > 0 } statuses
            ? statuses.Select(CoreConversions.ParseCoreStatus).ToArray()
            : InFlightStatuses;

        await _client.CreateTaskOrchestrationAsync(new TaskMessage { OrchestrationInstance = instance, Event = started }, dedupe);
        return instance.InstanceId;
    }

    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        return SendAsync(instanceId, new EventRaisedEvent(-1, _converter.Serialize(eventPayload)) { Name = eventName }, cancellation);
    }

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionSuspendedEvent(-1, reason), cancellation);

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionResumedEvent(-1, reason), cancellation);

    public override Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        if (options?.Recursive == true)
        {
            throw new NotSupportedException("Recursive termination is not supported by the core backend client; terminate sub-orchestrations by id.");
        }

        cancellation.ThrowIfCancellationRequested();
        return _client.ForceTerminateTaskOrchestrationAsync(instanceId, _converter.Serialize(options?.Output));
    }

    public override async Task<OrchestrationMetadata?> GetInstancesAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        var states = await _client.GetOrchestrationStateAsync(instanceId, allExecutions: false);
        // The Azure Storage backend answers an unknown id with a list holding one null state.
        return states is { Count: > 0 } && states[0] is { OrchestrationInstance: not null } state ? state.ToMetadata(getInputsAndOutputs, _converter) : null;
    }

    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null)
    {
        var queries = _client as IOrchestrationServiceQueryClient
            ?? throw new NotSupportedException($"{_client.GetType().Name} does not support instance queries.");
        return Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            var query = new CoreOrchestrationQuery
            {
                RuntimeStatus = filter?.Statuses?.Select(s => s.ToCoreStatus()).ToList(),
                CreatedTimeFrom = filter?.CreatedFrom?.UtcDateTime,
                CreatedTimeTo = filter?.CreatedTo?.UtcDateTime,
                TaskHubNames = filter?.TaskHubNames?.ToList(),
                InstanceIdPrefix = filter?.InstanceIdPrefix,
                PageSize = pageSize ?? filter?.PageSize ?? OrchestrationQuery.DefaultPageSize,
                ContinuationToken = continuation ?? filter?.ContinuationToken,
                FetchInputsAndOutputs = filter?.FetchInputsAndOutputs ?? false,

                // Entities live in the instance table too; the SDK lists them through Entities instead.
                ExcludeEntities = true,
            };
            var result = await queries.GetOrchestrationWithQueryAsync(query, cancellation);
            var page = result.OrchestrationState.Select(s => s.ToMetadata(query.FetchInputsAndOutputs, _converter)).ToList();
            return new Page<OrchestrationMetadata>(page, result.ContinuationToken);
        });
    }

    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        PollAsync(instanceId, getInputsAndOutputs, m => m.RuntimeStatus != OrchestrationRuntimeStatus.Pending, cancellation);

    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        PollAsync(instanceId, getInputsAndOutputs, m => m.IsCompleted, cancellation);

    public override async Task<PurgeResult> PurgeInstanceAsync(
        string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ThrowIfRecursive(options);
        var instance = await GetInstancesAsync(instanceId, cancellation: cancellation);
        if (instance is null)
        {
            return new PurgeResult(0);
        }

        if (!instance.IsCompleted)
        {
            throw new InvalidOperationException($"Only finished instances can be purged; '{instanceId}' is {instance.RuntimeStatus}.");
        }

        return ToPurgeResult(await PurgeClient.PurgeInstanceStateAsync(instanceId));
    }

    public override async Task<PurgeResult> PurgeAllInstancesAsync(
        PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ThrowIfRecursive(options);
        cancellation.ThrowIfCancellationRequested();
        var coreFilter = new PurgeInstanceFilter(
            (filter.CreatedFrom ?? default).UtcDateTime, filter.CreatedTo?.UtcDateTime, filter.Statuses?.Select(s => s.ToCoreStatus()));
        return ToPurgeResult(await PurgeClient.PurgeInstanceStateAsync(coreFilter));
    }

    // The core client is owned by the DurableBackend that created this adapter.
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private IOrchestrationServicePurgeClient PurgeClient => _client as IOrchestrationServicePurgeClient
        ?? throw new NotSupportedException($"{_client.GetType().Name} does not support purging.");

    private static PurgeResult ToPurgeResult(CorePurgeResult result) => new(result.DeletedInstanceCount);

    private static void ThrowIfRecursive(PurgeInstanceOptions? options)
    {
        if (options?.Recursive == true)
        {
            throw new NotSupportedException("Recursive purge is not supported by the core backend client; purge sub-orchestrations by id.");
        }
    }

    // The core WaitForOrchestrationAsync polls every 2 s on this backend; tests want sub-second feedback.
    private async Task<OrchestrationMetadata> PollAsync(
        string instanceId, bool getInputsAndOutputs, Func<OrchestrationMetadata, bool> done, CancellationToken cancellation)
    {
        while (true)
        {
            var metadata = await GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation)
                ?? throw new InvalidOperationException($"Orchestration instance '{instanceId}' does not exist.");
            if (done(metadata))
            {
                return metadata;
            }

            await Task.Delay(PollInterval, cancellation);
        }
    }

    private Task SendAsync(string instanceId, HistoryEvent @event, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        return _client.SendTaskOrchestrationMessageAsync(
            new TaskMessage { OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId }, Event = @event });
    }
}
