using Microsoft.DurableTask.Client;

namespace Serverless.Testing.Durable;

/// <summary>
/// Waiting on instances at test speed: polls every 100 ms (the core client polls every 2 s) and times out with
/// the last status seen, so a stuck orchestration fails the test with a reason instead of hanging it.
/// </summary>
public static class DurableWaits
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Waits until the instance completed, failed or was terminated; inputs and outputs are readable.</summary>
    public static Task<OrchestrationMetadata> WaitForCompletionAsync(
        this DurableTaskClient client, string instanceId, TimeSpan timeout, CancellationToken cancellation = default) =>
        client.WaitUntilAsync(instanceId, m => m.IsCompleted, "to finish", timeout, cancellation);

    /// <summary>Waits until <paramref name="condition"/> holds for the instance (read with inputs, outputs and custom status).</summary>
    public static async Task<OrchestrationMetadata> WaitUntilAsync(
        this DurableTaskClient client,
        string instanceId,
        Func<OrchestrationMetadata, bool> condition,
        string description,
        TimeSpan timeout,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(condition);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        OrchestrationMetadata? last = null;
        try
        {
            while (true)
            {
                last = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, deadline.Token);
                if (last is not null && condition(last))
                {
                    return last;
                }

                await Task.Delay(PollInterval, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            var seen = last is null
                ? "it was never found"
                : $"last status {last.RuntimeStatus}, custom status {last.SerializedCustomStatus ?? "none"}, failure {last.FailureDetails?.ErrorMessage ?? "none"}";
            var detail = client is CoreDurableTaskClient core ? await core.DescribeAsync(instanceId) : "";
            throw new TimeoutException($"Instance '{instanceId}' did not get {description} within {timeout.TotalSeconds:0.#} s: {seen}.{detail}");
        }
    }
}
