namespace Serverless.Core.Messaging;

/// <summary>A queue of this app: read by a consumer, or written for others (an alert queue).</summary>
/// <param name="Name">The queue name.</param>
/// <param name="Consumer">The consumer reading it, or null.</param>
public sealed record AppQueue(string Name, string? Consumer);

/// <summary>
/// Every queue the app owns, from what features registered (<c>AddMessageHandler</c>, <c>AddAppQueue</c>): the
/// only queues the admin functions list or touch, so they never reach the Durable Task hub's or another app's queues.
/// </summary>
public sealed class AppQueues(IEnumerable<AppQueueRegistration> registrations, IServiceProvider services)
{
    private readonly Lazy<IReadOnlyList<AppQueue>> _all = new(() => registrations
        .Select(r => r.Resolve(services))
        .DistinctBy(q => q.Name, StringComparer.Ordinal)
        .OrderBy(q => q.Name, StringComparer.Ordinal)
        .ToList());

    /// <summary>All app queues, by name.</summary>
    public IReadOnlyList<AppQueue> All => _all.Value;

    /// <summary>The app queue named <paramref name="name"/>, or null.</summary>
    public AppQueue? Find(string? name) => All.FirstOrDefault(q => string.Equals(q.Name, name, StringComparison.Ordinal));
}

/// <summary>One feature's queue, resolved when first needed (its name may come from options).</summary>
/// <param name="Resolve">Builds the queue from the app's services.</param>
public sealed record AppQueueRegistration(Func<IServiceProvider, AppQueue> Resolve);
