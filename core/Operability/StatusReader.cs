using Azure.Storage.Queues.Models;
using Serverless.Core.Dispatch;
using Serverless.Core.Storage;

namespace Serverless.Core.Operability;

/// <summary>Reads a <see cref="StatusSnapshot"/>: pools from Redis, queue depths from Storage, totals from the meters.</summary>
public sealed class StatusReader(DispatchStore pools, StorageClients storage, MeterTotals meters, TimeProvider time)
{
    /// <summary>Most queues shown; each costs one Storage call per page load.</summary>
    public const int MaxQueues = 40;

    /// <summary>Most pools shown; each costs one Redis round trip per page load.</summary>
    public const int MaxPools = 50;

    private const string PoisonSuffix = "-poison";

    /// <summary>Reads everything; a failing source becomes an entry in <see cref="StatusSnapshot.Errors"/>.</summary>
    public async Task<StatusSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var poolViews = await Guarded(ReadPoolsAsync, "dispatch pools (Redis)", errors) ?? [];
        var (queues, notShown) = await Guarded(() => ReadQueuesAsync(cancellationToken), "queues (Storage)", errors);
        return new StatusSnapshot(time.GetUtcNow(), poolViews, queues ?? [], notShown, meters.Snapshot(), errors);
    }

    private async Task<IReadOnlyList<PoolView>> ReadPoolsAsync()
    {
        var names = await pools.ListAsync();
        var views = await Task.WhenAll(names.Take(MaxPools).Select(pools.GetAsync));
        return [.. views.OfType<PoolView>()];
    }

    private async Task<(IReadOnlyList<QueueDepth>, int)> ReadQueuesAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var queue in storage.Queues.GetQueuesAsync(cancellationToken: cancellationToken))
        {
            names.Add(queue.Name);
        }

        var all = names.ToHashSet(StringComparer.Ordinal);
        // The Durable Task hub's own control and work-item queues are the backend's business, not the app's.
        var shown = names
            .Where(n => !n.EndsWith(PoisonSuffix, StringComparison.Ordinal) || !all.Contains(n[..^PoisonSuffix.Length]))
            .Where(n => !n.Contains("-control-", StringComparison.Ordinal) && !n.EndsWith("-workitems", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        var depths = await Task.WhenAll(shown.Take(MaxQueues).Select(async name =>
        {
            var poison = name + PoisonSuffix;
            var depth = await DepthAsync(name, cancellationToken);
            return new QueueDepth(name, depth, all.Contains(poison) ? await DepthAsync(poison, cancellationToken) : null);
        }));
        return (depths, Math.Max(0, shown.Count - MaxQueues));
    }

    private async Task<int> DepthAsync(string queue, CancellationToken cancellationToken)
    {
        QueueProperties properties = await storage.Queues.GetQueueClient(queue).GetPropertiesAsync(cancellationToken);
        return properties.ApproximateMessagesCount;
    }

    private static async Task<T?> Guarded<T>(Func<Task<T>> read, string what, List<string> errors)
    {
        try
        {
            return await read();
        }
        // StorageOutage: a Storage that stays down ends in the SDK's AggregateException once its retries give up.
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException or Azure.RequestFailedException or System.Net.Http.HttpRequestException
            || StorageOutage.Is(ex))
        {
            errors.Add($"Could not read {what}: {ex.Message}");
            return default;
        }
    }
}
