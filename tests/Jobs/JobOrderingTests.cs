using System.Collections.Concurrent;
using System.Text.Json;
using Serverless.Core.Jobs;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Jobs;

/// <summary>Jobs with one ordering key run one at a time in submission order, over two app instances.</summary>
[RedisBacked]
public sealed class JobOrderingTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 90_000)]
    public async Task SameOrderingKeyRunsOneAtATimeInSubmissionOrderAcrossTwoInstances()
    {
        const int keys = 4;
        const int perKey = 8;
        var checker = new LaneChecker();
        await using var b1 = await Backend.StartAsync("b1");
        await using var b2 = await Backend.StartAsync("b2");
        b1.Answer = b2.Answer = checker.AnswerAsync;
        using var app = await JobApp.StartAsync(services);
        using var other = await JobApp.StartSharingAsync(services, app.Prefix, app.Name);
        await app.SavePoolAsync("pool", b1, b2);
        await using var pump = new JobQueuePump(app);
        await using var otherPump = new JobQueuePump(other);

        // Keys interleaved, each key's jobs in order, alternating between the instances that accept them.
        for (var n = 0; n < perKey; n++)
        {
            await Task.WhenAll(Enumerable.Range(0, keys).Select(k =>
                ((k + n) % 2 == 0 ? app : other).SubmitAsync($"order-{k}-{n}", Ordered($"key-{k}", n), Ct)));
        }

        foreach (var k in Enumerable.Range(0, keys))
        {
            foreach (var n in Enumerable.Range(0, perKey))
            {
                Assert.Equal(JobState.Succeeded, (await app.WaitFinishedAsync(JobIds.For($"order-{k}-{n}"), TimeSpan.FromSeconds(60), Ct)).State);
            }
        }

        Assert.Empty(checker.Violations);
        Assert.All(Enumerable.Range(0, keys), k => Assert.Equal(Enumerable.Range(0, perKey), checker.Answered($"key-{k}")));
        Assert.Empty(pump.Errors.Concat(otherPump.Errors));
    }

    [Fact(Timeout = 60_000)]
    public async Task DeadJobEndsItsTurnAndItsReplayRunsAtTheTailOfItsLane()
    {
        var checker = new LaneChecker();
        var broken = true;
        await using var backend = await Backend.StartAsync("b");
        backend.Answer = r => broken && r.Body.Contains("\"n\":0", StringComparison.Ordinal) ? Task.FromResult(400) : checker.AnswerAsync(r);
        using var app = await JobApp.StartAsync(services);
        await app.SavePoolAsync("pool", backend);
        await using var pump = new JobQueuePump(app);
        for (var n = 0; n < 3; n++)
        {
            await app.SubmitAsync($"lane-{n}", Ordered("k", n), Ct);
        }

        Assert.Equal(JobState.Dead, (await app.WaitFinishedAsync(JobIds.For("lane-0"), TimeSpan.FromSeconds(20), Ct)).State);
        Assert.Equal(JobState.Succeeded, (await app.WaitFinishedAsync(JobIds.For("lane-2"), TimeSpan.FromSeconds(20), Ct)).State);
        broken = false;
        var replayed = await app.Dead.ReplayAsync(JobIds.For("lane-0"), Ct);
        var job = await app.WaitFinishedAsync(JobIds.For("lane-0"), TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(("replayed", 1), (replayed.Outcome, replayed.ReplayCount));
        Assert.Equal((JobState.Succeeded, 1), (job.State, job.ReplayCount));
        Assert.Equal([1, 2, 0], checker.Answered("k"));
        Assert.Empty(checker.Violations);
    }

    /// <summary>A job of <paramref name="key"/>'s lane whose payload names its key and place.</summary>
    internal static string Ordered(string key, int n, string pool = "pool") =>
        JsonSerializer.Serialize(new { pool, path = "/w", orderingKey = key, payload = new { key, n } });

    /// <summary>
    /// A backend's work per ordering key: answers 200 after <see cref="Work"/>, and records a violation when a second job
    /// of one key is in flight at the same time, or a key's jobs take effect out of order. Deduplicates by
    /// Idempotency-Key as a real backend would, so a repeat has no second effect.
    /// </summary>
    internal sealed class LaneChecker
    {
        private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, List<int>> _effects = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _repeats = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, byte> _keys = new(StringComparer.Ordinal);

        public TimeSpan Work { get; init; } = TimeSpan.FromMilliseconds(30);

        public ConcurrentQueue<string> Violations { get; } = new();

        /// <summary>Requests that repeated an Idempotency-Key already applied (absorbed, no second effect).</summary>
        public int Repeats => _repeats.Values.Sum();

        public List<int> Answered(string key)
        {
            var effects = _effects.GetOrAdd(key, _ => []);
            lock (effects)
            {
                return [.. effects];
            }
        }

        public async Task<int> AnswerAsync(Backend.Received received)
        {
            var (key, n) = Read(received);
            if (_inFlight.AddOrUpdate(key, 1, (_, v) => v + 1) > 1)
            {
                Violations.Enqueue($"{key}: job {n} started while another job of the key was in flight");
            }

            try
            {
                await Task.Delay(Work);
                var idempotencyKey = received.Headers.TryGetValue("Idempotency-Key", out var k) ? k : "";
                if (!_keys.TryAdd(idempotencyKey, 0))
                {
                    _repeats.AddOrUpdate(key, 1, (_, v) => v + 1);
                    return 200;
                }

                var effects = _effects.GetOrAdd(key, _ => []);
                lock (effects)
                {
                    effects.Add(n);
                }

                return 200;
            }
            finally
            {
                _inFlight.AddOrUpdate(key, 0, (_, v) => v - 1);
            }
        }

        private static (string Key, int N) Read(Backend.Received received)
        {
            using var body = JsonDocument.Parse(received.Body);
            return (body.RootElement.GetProperty("key").GetString()!, body.RootElement.GetProperty("n").GetInt32());
        }
    }
}
