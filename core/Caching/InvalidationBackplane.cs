using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Serverless.Core.Redis;
using StackExchange.Redis;

namespace Serverless.Core.Caching;

/// <summary>
/// Drops L1 entries on every instance after a write, through one Redis pub/sub channel. Pub/sub delivers at most
/// once and only to connected subscribers, so L1 is trusted only while this instance is connected: when a connection
/// fails every registered L1 is cleared, and cleared again when it returns (a message sent in between was lost).
/// </summary>
/// <remarks>
/// FusionCache has a Redis backplane, but it drops by key alone, so an instance that just set version 6 would drop it
/// on its own echo, and it cannot refuse the in-flight fill of version 5 that <see cref="BoundedL1"/> refuses by epoch.
/// </remarks>
public sealed partial class InvalidationBackplane : IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisChannel _channel;
    private readonly TimeProvider _time;
    private readonly ILogger<InvalidationBackplane> _logger;
    private readonly ConcurrentDictionary<string, BoundedL1> _caches = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private Task? _subscribed;
    private long _connectionEpoch;
    private readonly ConcurrentDictionary<ConnectionType, bool> _down = new();

    /// <summary>Listens on <c>{prefix}cache:invalidations</c> once <see cref="ListenAsync"/> is first awaited.</summary>
    public InvalidationBackplane(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time, ILogger<InvalidationBackplane> logger)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(keys);
        _redis = redis;
        _channel = RedisChannel.Literal((string)keys.For("cache", "invalidations")!);
        _time = time;
        _logger = logger;
        _redis.ConnectionFailed += OnConnectionFailed;
        _redis.ConnectionRestored += OnConnectionRestored;
    }

    /// <summary>Raised on this instance for every invalidation it applied.</summary>
    public event EventHandler<L1Drop>? Dropped;

    /// <summary>Whether L1 may serve reads: subscribed and connected.</summary>
    public bool Trusted => _down.IsEmpty && _subscribed is { IsCompletedSuccessfully: true };

    /// <summary>Grows whenever a connection fails; a fill that began under another value may hold data from before an outage.</summary>
    public long ConnectionEpoch => Interlocked.Read(ref _connectionEpoch);

    /// <summary>Adds an L1 to drop entries from when <paramref name="name"/> is written.</summary>
    public void Register(string name, BoundedL1 cache) => _caches[name] = cache;

    /// <summary>Subscribes once (later calls share the first); a failed subscribe is tried again by the next call.</summary>
    public Task ListenAsync()
    {
        lock (_gate)
        {
            if (_subscribed is null || _subscribed.IsFaulted || _subscribed.IsCanceled)
            {
                _subscribed = _redis.GetSubscriber().SubscribeAsync(_channel, (_, message) => OnMessage(message));
            }

            return _subscribed;
        }
    }

    /// <summary>Tells every instance (this one too) that <paramref name="key"/> of <paramref name="name"/> is now at <paramref name="version"/>.</summary>
    public Task PublishAsync(string name, string key, long version)
    {
        var sent = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return _redis.GetSubscriber().PublishAsync(_channel, string.Create(CultureInfo.InvariantCulture, $"{name}\n{key}\n{version}\n{sent}"));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _redis.ConnectionFailed -= OnConnectionFailed;
        _redis.ConnectionRestored -= OnConnectionRestored;
    }

    private void OnMessage(RedisValue message)
    {
        var parts = ((string?)message ?? "").Split('\n');
        if (parts.Length != 4 || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var version)
            || !long.TryParse(parts[3], CultureInfo.InvariantCulture, out var sent) || !_caches.TryGetValue(parts[0], out var cache))
        {
            return;
        }

        cache.Drop(parts[1], version);
        Dropped?.Invoke(this, new L1Drop(parts[0], parts[1], version, DateTimeOffset.FromUnixTimeMilliseconds(sent), _time.GetUtcNow()));
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        _down[e.ConnectionType] = true;
        Interlocked.Increment(ref _connectionEpoch);
        ClearAll();
        LogConnectionLost(_logger, e.ConnectionType, e.FailureType);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        ClearAll();
        _down.TryRemove(e.ConnectionType, out _);
    }

    private void ClearAll()
    {
        foreach (var cache in _caches.Values)
        {
            cache.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis {ConnectionType} connection lost ({FailureType}): every L1 cache is cleared and bypassed until it returns.")]
    private static partial void LogConnectionLost(ILogger logger, ConnectionType connectionType, ConnectionFailureType failureType);
}
