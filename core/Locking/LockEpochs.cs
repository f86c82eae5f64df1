using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Core.Redis;
using Serverless.Core.Storage;

namespace Serverless.Core.Locking;

/// <summary>
/// The durable part of a Redis lock's fencing tokens: one epoch per lock in Table storage (partition: the app's Redis
/// key prefix, row: the lock name), moved up each time Redis is found to have forgotten the lock's counter.
/// </summary>
public sealed class LockEpochs(StorageClients storage, RedisKeys keys, IOptions<LockingOptions> options)
{
    private const string EpochColumn = "Epoch";
    private readonly GuardedTable _table = new(storage.Tables, options.Value.EpochTable);

    /// <summary>Moves the lock's epoch one up and returns it: a number no earlier call has returned for this lock.</summary>
    /// <exception cref="InvalidOperationException">The lock has used up its epochs (tokens would pass 2^53 - 1).</exception>
    public Task<long> BumpAsync(string name, CancellationToken cancellationToken = default) =>
        _table.UpdateAsync(keys.Prefix, name, current =>
        {
            var next = (current?.GetInt64(EpochColumn) ?? 0) + 1;
            if (next > FencingToken.MaxEpoch)
            {
                throw new InvalidOperationException(
                    $"The Redis lock '{name}' has used up its {FencingToken.MaxEpoch} fencing epochs; its tokens cannot grow further. " +
                    "Use another lock name (and raise Locking:RedisFenceIdleMs if idle expiries spent them).");
            }

            return (new TableEntity(keys.Prefix, name) { [EpochColumn] = next }, next);
        }, cancellationToken);
}
