using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Distributed;

namespace Serverless.Core.Search.Caching;

/// <summary>
/// The search cache's Redis layer with concurrent reads of one key sharing one GET: when many requests miss L1 for the
/// same hot key at once (a fresh instance, an expired L1 entry, a catalog version change), Redis answers once and
/// every waiter gets the same bytes. Written by hand because FusionCache coalesces factory runs, not L2 reads, and
/// HybridCache (which does) has neither a backplane nor a cross-instance stampede lock.
/// A write or remove of the key drops the read in flight, so a read that starts after a write has completed never
/// joins one that started before it. Each waiter's own token only ends its wait; the shared read runs to the end.
/// </summary>
internal sealed class CoalescingDistributedCache(IDistributedCache inner) : IDistributedCache
{
    private readonly ConcurrentDictionary<string, Task<byte[]?>> _reads = new(StringComparer.Ordinal);

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        while (true)
        {
            if (_reads.TryGetValue(key, out var shared))
            {
                return await shared.WaitAsync(token).ConfigureAwait(false);
            }

            var mine = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_reads.TryAdd(key, mine.Task))
            {
                continue;
            }

            try
            {
                mine.SetResult(await inner.GetAsync(key, CancellationToken.None).ConfigureAwait(false));
            }
#pragma warning disable CA1031 // Every waiter, this caller included, sees the failure through the shared task.
            catch (Exception failure)
#pragma warning restore CA1031
            {
                mine.SetException(failure);
            }
            finally
            {
                _reads.TryRemove(new KeyValuePair<string, Task<byte[]?>>(key, mine.Task));
            }

            return await mine.Task.WaitAsync(token).ConfigureAwait(false);
        }
    }

    public byte[]? Get(string key) => inner.Get(key);

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        _reads.TryRemove(key, out _);
        inner.Set(key, value, options);
        _reads.TryRemove(key, out _);
    }

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        _reads.TryRemove(key, out _);
        await inner.SetAsync(key, value, options, token).ConfigureAwait(false);
        _reads.TryRemove(key, out _);
    }

    public void Refresh(string key) => inner.Refresh(key);

    public Task RefreshAsync(string key, CancellationToken token = default) => inner.RefreshAsync(key, token);

    public void Remove(string key)
    {
        _reads.TryRemove(key, out _);
        inner.Remove(key);
        _reads.TryRemove(key, out _);
    }

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        _reads.TryRemove(key, out _);
        await inner.RemoveAsync(key, token).ConfigureAwait(false);
        _reads.TryRemove(key, out _);
    }
}
