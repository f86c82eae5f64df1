using DurableTask.Core;
using DurableTask.Core.Entities;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using CoreEntityMetadata = DurableTask.Core.Entities.EntityBackendQueries.EntityMetadata;
using EntityMetadata = Microsoft.DurableTask.Client.Entities.EntityMetadata;

namespace Serverless.Testing.Durable;

/// <summary>
/// <see cref="DurableTaskClient.Entities"/> over the core backend: signals are entity messages sent straight to the
/// entity's control queue, state comes from the backend's entity queries.
/// </summary>
public sealed class CoreDurableEntityClient(
    string name, IOrchestrationServiceClient client, EntityBackendQueries queries, EntityBackendProperties properties, DataConverter converter)
    : DurableEntityClient(name)
{
    public override async Task SignalEntityAsync(
        EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(operationName);
        cancellation.ThrowIfCancellationRequested();

        // Each signal needs its own request id (the entity dedupes on it); the backend caps how far ahead it may be scheduled.
        var signal = ClientEntityHelpers.EmitOperationSignal(
            new OrchestrationInstance { InstanceId = id.ToString() },
            Guid.NewGuid(),
            operationName,
            converter.Serialize(input),
            EntityMessageEvent.GetCappedScheduledTime(DateTime.UtcNow, properties.MaximumSignalDelayTime, options?.SignalTime?.UtcDateTime));
        await client.SendTaskOrchestrationMessageAsync(signal.AsTaskMessage());
    }

    public override async Task<EntityMetadata?> GetEntityAsync(
        EntityInstanceId id, bool includeState = true, CancellationToken cancellation = default) =>
        await queries.GetEntityAsync(ToCore(id), includeState, includeStateless: false, cancellation) is { } found ? Untyped(found) : null;

    public override async Task<EntityMetadata<T>?> GetEntityAsync<T>(
        EntityInstanceId id, bool includeState = true, CancellationToken cancellation = default) =>
        await queries.GetEntityAsync(ToCore(id), includeState, includeStateless: false, cancellation) is { } found ? Typed<T>(found, includeState) : null;

    public override AsyncPageable<EntityMetadata> GetAllEntitiesAsync(EntityQuery? filter = null) =>
        Query(filter, Untyped);

    public override AsyncPageable<EntityMetadata<T>> GetAllEntitiesAsync<T>(EntityQuery? filter = null) =>
        Query(filter, m => Typed<T>(m, filter?.IncludeState ?? true));

    public override async Task<CleanEntityStorageResult> CleanEntityStorageAsync(
        CleanEntityStorageRequest? request = null, bool continueUntilComplete = true, CancellationToken cancellation = default)
    {
        var r = request ?? CleanEntityStorageRequest.Default;
        var (removed, released, continuation) = (0, 0, r.ContinuationToken);
        do
        {
            var result = await queries.CleanEntityStorageAsync(
                new EntityBackendQueries.CleanEntityStorageRequest
                {
                    RemoveEmptyEntities = r.RemoveEmptyEntities,
                    ReleaseOrphanedLocks = r.ReleaseOrphanedLocks,
                    ContinuationToken = continuation,
                },
                cancellation);
            removed += result.EmptyEntitiesRemoved;
            released += result.OrphanedLocksReleased;
            continuation = result.ContinuationToken;
        }
        while (continueUntilComplete && continuation is not null);

        return new CleanEntityStorageResult { EmptyEntitiesRemoved = removed, OrphanedLocksReleased = released, ContinuationToken = continuation };
    }

    private AsyncPageable<TMetadata> Query<TMetadata>(EntityQuery? filter, Func<CoreEntityMetadata, TMetadata> select)
        where TMetadata : notnull =>
        Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            var result = await queries.QueryEntitiesAsync(
                new EntityBackendQueries.EntityQuery
                {
                    InstanceIdStartsWith = filter?.InstanceIdStartsWith ?? string.Empty,
                    LastModifiedFrom = filter?.LastModifiedFrom?.UtcDateTime,
                    LastModifiedTo = filter?.LastModifiedTo?.UtcDateTime,
                    IncludeState = filter?.IncludeState ?? true,
                    IncludeTransient = filter?.IncludeTransient ?? false,
                    PageSize = pageSize ?? filter?.PageSize,
                    ContinuationToken = continuation ?? filter?.ContinuationToken,
                },
                cancellation);
            return new Page<TMetadata>([.. result.Results.Select(select)], result.ContinuationToken);
        });

    private static EntityId ToCore(EntityInstanceId id) => new(id.Name, id.Key);

    private static EntityInstanceId FromCore(EntityId id) => new(id.Name, id.Key);

    private EntityMetadata Untyped(CoreEntityMetadata m) =>
        new(FromCore(m.EntityId), m.SerializedState is null ? null : new SerializedData(m.SerializedState, converter))
        {
            LastModifiedTime = m.LastModifiedTime,
            BacklogQueueSize = m.BacklogQueueSize,
            LockedBy = m.LockedBy,
        };

    // The state-less constructor marks the metadata as "state not requested" (reading State then throws).
    private EntityMetadata<T> Typed<T>(CoreEntityMetadata m, bool includeState) => includeState
        ? new(FromCore(m.EntityId), converter.Deserialize<T>(m.SerializedState))
        {
            LastModifiedTime = m.LastModifiedTime,
            BacklogQueueSize = m.BacklogQueueSize,
            LockedBy = m.LockedBy,
        }
        : new(FromCore(m.EntityId))
        {
            LastModifiedTime = m.LastModifiedTime,
            BacklogQueueSize = m.BacklogQueueSize,
            LockedBy = m.LockedBy,
        };
}
