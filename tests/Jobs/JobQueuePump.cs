using Azure.Storage.Queues;
using Serverless.Functions.Jobs;

namespace Serverless.Tests.Jobs;

/// <summary>
/// Drives the runner's queue trigger the way the Functions host does: receive with a visibility timeout, call the
/// trigger method, delete the message when it returns, leave it when it throws (it comes back after the timeout,
/// as after a crashed instance; the pipeline turns a handler's exception into a retry, so only its own failures throw). One pump per app instance; several pumps on one queue compete for its messages.
/// </summary>
internal sealed class JobQueuePump : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly QueueClient _queue;
    private readonly JobRunnerFunctions _trigger;
    private readonly TimeSpan _visibility;
    private readonly SemaphoreSlim _slots;
    private int _handled;

    public JobQueuePump(JobApp app, int concurrency = 8, TimeSpan? visibility = null)
    {
        _queue = app.Store.Queue;
        _trigger = app.Create<JobRunnerFunctions>();
        _visibility = visibility ?? TimeSpan.FromSeconds(4);
        _slots = new SemaphoreSlim(concurrency, concurrency);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Messages whose trigger returned.</summary>
    public int Handled => Volatile.Read(ref _handled);

    /// <summary>Anything else the trigger threw: a bug, which tests assert never happens.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<Exception> Errors { get; } = new();

    private async Task LoopAsync()
    {
        var running = new List<Task>();
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var free = _slots.CurrentCount;
                if (free == 0)
                {
                    await Task.WhenAny(running);
                    running.RemoveAll(t => t.IsCompleted);
                    continue;
                }

                var messages = (await _queue.ReceiveMessagesAsync(Math.Min(free, 32), _visibility, _stop.Token)).Value;
                if (messages.Length == 0)
                {
                    await Task.Delay(50, _stop.Token);
                    continue;
                }

                foreach (var message in messages)
                {
                    await _slots.WaitAsync(_stop.Token);
                    running.Add(Task.Run(async () =>
                    {
                        // The host's queue listener keeps a message hidden while its function runs; so does this.
                        using var done = new CancellationTokenSource();
                        var receipt = Task.Run(() => KeepHiddenAsync(message.MessageId, message.PopReceipt, done.Token));
                        try
                        {
                            await _trigger.Run(message, _stop.Token);
                            await done.CancelAsync();
                            await DeleteAsync(message.MessageId, await receipt);
                            Interlocked.Increment(ref _handled);
                        }
                        catch (Exception ex) when (!_stop.IsCancellationRequested)
                        {
                            Errors.Enqueue(ex);
                        }
                        finally
                        {
                            await done.CancelAsync();
                            await ((Task)receipt).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                            _slots.Release();
                        }
                    }));
                }

                running.RemoveAll(t => t.IsCompleted);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (Azure.RequestFailedException)
            {
                // Azurite busy: the host's listener backs off and polls again too.
                await Task.Delay(100, CancellationToken.None);
            }
        }

        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    // A renewal cancelled in flight may still have changed the receipt: the message then comes back once more, which
    // is a duplicated delivery the runner has to absorb anyway.
    private async Task DeleteAsync(string messageId, string popReceipt)
    {
        try
        {
            await _queue.DeleteMessageAsync(messageId, popReceipt, CancellationToken.None);
        }
        catch (Azure.RequestFailedException ex) when (ex.Status is 404 or 400)
        {
        }
    }

    // Returns the latest pop receipt; stops when the trigger returns or throws (a crash stops renewing too).
    private async Task<string> KeepHiddenAsync(string messageId, string popReceipt, CancellationToken done)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_visibility / 2, done);
                var updated = await _queue.UpdateMessageAsync(messageId, popReceipt, visibilityTimeout: _visibility, cancellationToken: done);
                popReceipt = updated.Value.PopReceipt;
            }
        }
        catch (OperationCanceledException)
        {
            return popReceipt;
        }
        catch (Azure.RequestFailedException)
        {
            // The host's listener logs a failed renewal and stops renewing, as here: a renewal whose answer was lost
            // (its retry then fails on the old receipt) or that came too late lets the message show again, a
            // duplicated delivery the runner absorbs.
            return popReceipt;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        _slots.Dispose();
    }
}
