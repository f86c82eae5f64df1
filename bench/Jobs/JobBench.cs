using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Bench.Harness;
using Serverless.Core.Dispatch;
using Serverless.Core.Jobs;
using Serverless.Core.Messaging;
using Serverless.Core.Storage;
using Serverless.Testing;

namespace Serverless.Bench.Jobs;

/// <summary>
/// Jobs per second from submission to <c>succeeded</c> (local HTTP backends, Azurite, Redis for the pool), against the
/// floor of the same transport: raw Storage-queue send + receive + delete of as many messages, in the same run with
/// the same concurrency. Latency is submission to done, from each job's own timestamps.
/// </summary>
public static class JobBench
{
    private const int Concurrency = 16;

    public static async Task RunAsync(TimeSpan duration)
    {
        var count = (int)Math.Max(100, 100 * duration.TotalSeconds);
        await using var redis = await RedisServer.StartAsync();
        await using var azurite = await AzuriteServer.StartAsync();
        await using var b1 = await Backend.StartAsync("b1");
        await using var b2 = await Backend.StartAsync("b2");
        b1.KeepRequests = b2.KeepRequests = false;
        var name = Guid.NewGuid().ToString("N")[..8];
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["Redis:KeyPrefix"] = $"b{name}:",
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Dispatch:AllowedNetworks:0"] = "127.0.0.1/32",
            ["Jobs:Table"] = "jobs" + name,
            ["Jobs:Queue"] = "jobs-" + name,
        }).Build();
        await using var provider = new ServiceCollection().AddLogging().AddServerless(configuration).BuildServiceProvider();
        using (var pool = JsonDocument.Parse($$"""{"policy":"round-robin","targets":[{"id":"b1","url":"{{b1.Url}}"},{"id":"b2","url":"{{b2.Url}}"}]}"""))
        {
            await provider.GetRequiredService<DispatchStore>().SaveAsync("bench", PoolDefinitionParser.Parse(pool.RootElement).Definition!);
        }

        var raw = provider.GetRequiredService<StorageClients>().Queues.GetQueueClient("raw-" + name);
        await raw.CreateIfNotExistsAsync();
        await provider.GetRequiredService<JobStore>().EnsureCreatedAsync();

        // Warm-up: connections, table and queue creation, JIT.
        await RawAsync(raw, 50);
        await JobsAsync(provider, 50, "warm");

        var rawTime = await RawAsync(raw, count);
        var (jobsTime, latencies) = await JobsAsync(provider, count, "run");
        var rawRate = count / rawTime.TotalSeconds;
        var jobRate = count / jobsTime.TotalSeconds;
        latencies.Sort();
        var p50 = latencies[latencies.Count / 2];
        var p99 = latencies[Math.Min(latencies.Count - 1, (int)(latencies.Count * 0.99))];

        await new Report("Jobs: submission to succeeded vs raw Storage-queue send + receive + delete")
            .Line($"{count} items each, {Concurrency} submitters and {Concurrency} consumers; Azurite (in-memory) and Redis on loopback, two local HTTP backends.")
            .Line("A job is: insert + (lane) + enqueue, then the pipeline (inbox claim, complete), job claim, forward through dispatch (Redis pick + HTTP), record. The raw baseline is one message's send, receive and delete.")
            .Line("")
            .Line("| measurement | items/s | p50 submit→done ms | p99 submit→done ms |")
            .Line("|---|---:|---:|---:|")
            .Line(string.Create(CultureInfo.InvariantCulture, $"| raw queue send + receive + delete | {rawRate:F0} | | |"))
            .Line(string.Create(CultureInfo.InvariantCulture, $"| job submitted → succeeded | {jobRate:F0} | {p50:F0} | {p99:F0} |"))
            .Line("")
            .Line(string.Create(CultureInfo.InvariantCulture, $"Ratio jobs ÷ raw queue: {jobRate / rawRate:F2}x (measured in the same run; compare ratios, not absolutes, on a shared machine)."))
            .Line("")
            .SaveAsync("jobs");
    }

    private static async Task<TimeSpan> RawAsync(QueueClient queue, int count)
    {
        var clock = Stopwatch.StartNew();
        var consumed = 0;
        var sending = Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Concurrency },
            async (i, ct) => await queue.SendMessageAsync($$"""{"JobId":"raw-{{i}}"}""", ct));
        var consumers = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            while (Volatile.Read(ref consumed) < count)
            {
                var messages = (await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30))).Value;
                if (messages.Length == 0)
                {
                    await Task.Delay(20);
                    continue;
                }

                await queue.DeleteMessageAsync(messages[0].MessageId, messages[0].PopReceipt);
                Interlocked.Increment(ref consumed);
            }
        })).ToList();
        await sending;
        await Task.WhenAll(consumers);
        return clock.Elapsed;
    }

    // The consumers do what the RunJob trigger does: the pipeline with the jobs consumer, then delete the message.
    private static async Task<(TimeSpan Elapsed, List<double> LatenciesMs)> JobsAsync(ServiceProvider provider, int count, string run)
    {
        var submitter = provider.GetRequiredService<JobSubmitter>();
        var store = provider.GetRequiredService<JobStore>();
        var pipeline = provider.GetRequiredService<MessagePipeline>();
        var consumer = provider.GetRequiredService<JobConsumer>();
        var prefix = $"{run}-{Guid.NewGuid():N}";
        var request = new JobRequest("bench", "POST", "/work", """{"n":1}""", null, TimeSpan.Zero, 3);
        var ids = Enumerable.Range(0, count).Select(i => JobIds.For($"{prefix}-{i}")).ToList();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var consumers = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var messages = (await store.Queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30))).Value;
                if (messages.Length == 0)
                {
                    await Task.Delay(20);
                    continue;
                }

                await pipeline.ProcessAsync(consumer, messages[0], CancellationToken.None);
                await store.Queue.DeleteMessageAsync(messages[0].MessageId, messages[0].PopReceipt);
            }
        })).ToList();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Concurrency },
            async (i, ct) => await submitter.SubmitAsync($"{prefix}-{i}", request, ct));
        while (await CountAsync(store, "State eq 'Queued' or State eq 'Running'") > 0)
        {
            await Task.Delay(50);
        }

        var elapsed = clock.Elapsed;
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        var latencies = new List<double>();
        await foreach (var job in store.QueryAsync("State eq 'Succeeded'"))
        {
            if (wanted.Contains(job.Id))
            {
                latencies.Add((job.FinishedAt!.Value - job.SubmittedAt).TotalMilliseconds);
            }
        }

        if (latencies.Count != count)
        {
            throw new InvalidOperationException($"{count - latencies.Count} of {count} jobs did not succeed.");
        }

        await stop.CancelAsync();
        await Task.WhenAll(consumers);
        return (elapsed, latencies);
    }

    private static async Task<int> CountAsync(JobStore store, string filter)
    {
        var n = 0;
        await foreach (var _ in store.QueryAsync(filter))
        {
            n++;
        }

        return n;
    }
}
