using Microsoft.DurableTask.Client;
using Xunit;

namespace Serverless.Tests.Transactions;

/// <summary>
/// Waits for many instances with one query per poll (instances sharing an id prefix) instead of one read per
/// instance: per-instance polling of hundreds of instances starves the backend on this machine.
/// </summary>
public static class DurableBatches
{
    private static readonly OrchestrationRuntimeStatus[] Finished =
        [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    /// <summary>Polls every <paramref name="interval"/> until <paramref name="count"/> instances with the prefix finished.</summary>
    /// <param name="client">Returns the current client (it changes when the worker restarts).</param>
    /// <param name="prefix">Shared instance id prefix.</param>
    /// <param name="count">How many to wait for.</param>
    /// <param name="timeout">Give up after this long.</param>
    /// <param name="interval">Time between polls.</param>
    /// <param name="onPoll">Called with the number finished so far after each poll (crash injection, progress).</param>
    public static async Task<IReadOnlyList<OrchestrationMetadata>> WaitForAllAsync(
        Func<DurableTaskClient> client, string prefix, int count, TimeSpan timeout, TimeSpan interval, Func<int, Task>? onPoll = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(timeout);
        var finished = 0;
        try
        {
            while (true)
            {
                finished = await CountAsync(client(), prefix, deadline.Token);
                if (onPoll is not null)
                {
                    await onPoll(finished);
                }

                if (finished >= count)
                {
                    return await ListAsync(client(), prefix, deadline.Token);
                }

                await Task.Delay(interval, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Only {finished} of {count} '{prefix}' instances finished within {timeout.TotalSeconds:0} s.{await DescribeOneUnfinishedAsync(client(), prefix)}");
        }
    }

    // What one straggler is waiting on, and what the backend reported meanwhile: enough to tell a slow machine from a stuck hub.
    private static async Task<string> DescribeOneUnfinishedAsync(DurableTaskClient client, string prefix)
    {
        if (client is not Serverless.Testing.Durable.CoreDurableTaskClient core)
        {
            return "";
        }

        try
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var query = new OrchestrationQuery { InstanceIdPrefix = prefix, PageSize = 1000 };
            await foreach (var instance in client.GetAllInstancesAsync(query).WithCancellation(patience.Token))
            {
                if (!Finished.Contains(instance.RuntimeStatus))
                {
                    return $" First unfinished: {instance.InstanceId} ({instance.RuntimeStatus}, {instance.SerializedCustomStatus}).{await core.DescribeAsync(instance.InstanceId)}";
                }
            }

            return " No unfinished instance found on a second look.";
        }
        catch (OperationCanceledException)
        {
            return " Listing the instances took over 20 s as well.";
        }
    }

    private static async Task<int> CountAsync(DurableTaskClient client, string prefix, CancellationToken ct)
    {
        var n = 0;
        var query = new OrchestrationQuery { InstanceIdPrefix = prefix, Statuses = Finished, PageSize = 1000 };
        await foreach (var _ in client.GetAllInstancesAsync(query).WithCancellation(ct))
        {
            n++;
        }

        return n;
    }

    private static async Task<IReadOnlyList<OrchestrationMetadata>> ListAsync(DurableTaskClient client, string prefix, CancellationToken ct)
    {
        var all = new List<OrchestrationMetadata>();
        var query = new OrchestrationQuery { InstanceIdPrefix = prefix, FetchInputsAndOutputs = true, PageSize = 1000 };
        await foreach (var instance in client.GetAllInstancesAsync(query).WithCancellation(ct))
        {
            all.Add(instance);
        }

        return all;
    }
}
