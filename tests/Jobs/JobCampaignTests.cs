using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Serverless.Core.Jobs;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Jobs;

/// <summary>
/// The fault campaign: 2,000 jobs over two app instances (each with its own queue pump driving the runner as the
/// host would) and four real backends that count effects per Idempotency-Key, with duplicate submissions,
/// duplicated queue messages, transient and permanent target failures, and runner crashes between forwarding and
/// recording. Then the permanent failures are fixed and every dead job is replayed. CI runs the issue's full size;
/// <c>CAMPAIGN_JOBS=N</c> runs another (a smaller one to iterate on the test).
/// </summary>
[RedisBacked]
[Collection(CampaignCollection.Name)]
public sealed class JobCampaignTests(ServicesFixture services)
{
    private static readonly int Jobs = int.Parse(Environment.GetEnvironmentVariable("CAMPAIGN_JOBS") ?? "2000", System.Globalization.CultureInfo.InvariantCulture);
    private const int Keys = 60;
    private const int PerKey = 5;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 150_000)]
    public async Task EveryJobEndsOnceWithOneEffectInLaneOrderThroughDuplicatesFailuresAndCrashes()
    {
        var plan = Plan.Make(seed: 13);
        var world = new Effects(plan);
        var faults = new CrashAfterForward(plan);
        var backends = new List<Backend>();
        for (var b = 0; b < 4; b++)
        {
            var backend = await Backend.StartAsync($"b{b}");
            backend.KeepRequests = false;
            backend.Answer = world.AnswerAsync;
            backends.Add(backend);
        }

        try
        {
            // The campaign's thousands of queue and table calls would queue every other test's calls behind them in
            // the run's shared Azurite (one Node event loop): it was seen answering other tests after more than 15 s.
            await using var storage = await OwnAzuriteServer.StartAsync();
            var own = new Dictionary<string, string?> { ["AzureWebJobsStorage"] = storage.ConnectionString };
            using var app = await JobApp.StartAsync(services, own, faults: faults);
            using var other = await JobApp.StartSharingAsync(services, app.Prefix, app.Name, own, faults: faults);
            JobApp[] instances = [app, other];
            await app.SavePoolAsync("pool", [.. backends]);
            await using var pump = new JobQueuePump(app, concurrency: 16);
            await using var otherPump = new JobQueuePump(other, concurrency: 16);
            var clock = Stopwatch.StartNew();

            // A lane's jobs are submitted one after another (that is its submission order); lanes and loose jobs in parallel.
            var duplicatesAbsorbed = 0;
            await Parallel.ForEachAsync(plan.Streams, new ParallelOptions { MaxDegreeOfParallelism = 12, CancellationToken = Ct }, async (stream, ct) =>
            {
                foreach (var i in stream)
                {
                    var first = await instances[i % 2].SubmitAsync(plan.Key(i), plan.Body(i), ct);
                    Assert.Equal(202, first.Status);
                    if (plan.DuplicateSubmission[i])
                    {
                        var again = await instances[(i + 1) % 2].SubmitAsync(plan.Key(i), plan.Body(i), ct);
                        Assert.Equal((200, first.Headers.Location.ToString()), (again.Status, again.Headers.Location.ToString()));
                        Interlocked.Increment(ref duplicatesAbsorbed);
                    }

                    if (plan.DuplicateMessage[i])
                    {
                        await app.Store.EnqueueAsync(JobIds.For(plan.Key(i)), TimeSpan.Zero, ct);
                    }
                }
            });
            var submitted = clock.Elapsed;
            TestContext.Current.TestOutputHelper!.WriteLine($"submitted {Jobs} in {submitted.TotalSeconds:F1} s");

            await WaitAllFinishedAsync(app, TimeSpan.FromSeconds(90));
            var firstPass = clock.Elapsed;
            var jobs = await AllJobsAsync(app);
            var dead = jobs.Where(j => j.State == JobState.Dead).Select(j => j.Id).ToHashSet();

            Assert.Equal(Jobs, jobs.Count);
            Assert.All(jobs, j => Assert.True(j.IsFinished, $"{j.Id} is {j.State}"));
            Assert.Equal(plan.PermanentIds, dead);
            Assert.Empty(world.Violations);
            Assert.All(jobs.Where(j => j.State == JobState.Succeeded), j => Assert.Equal(1, world.EffectsOf(j.Id)));
            Assert.All(plan.Lanes, lane => Assert.Equal(lane.Where(i => !plan.Permanent[i]).Select(plan.Place), world.Order(plan.LaneKey(lane[0]))));
            Assert.True(world.Repeats <= faults.Crashes, $"{world.Repeats} repeated deliveries but only {faults.Crashes} crashes");

            world.FixPermanentFailures();
            var replayed = await app.Dead.ReplayAllAsync(Ct);
            await WaitAllFinishedAsync(app, TimeSpan.FromSeconds(40));
            var after = await AllJobsAsync(app);

            Assert.Equal(plan.PermanentIds, replayed.Where(r => r.Outcome == "replayed").Select(r => r.Id).ToHashSet());
            Assert.All(after, j => Assert.Equal(JobState.Succeeded, j.State));
            Assert.All(after, j => Assert.Equal(1, world.EffectsOf(j.Id)));
            Assert.All(after.Where(j => dead.Contains(j.Id)), j => Assert.Equal(1, j.ReplayCount));
            Assert.Empty(pump.Errors.Concat(otherPump.Errors));

            TestContext.Current.TestOutputHelper!.WriteLine(
                $"campaign: {Jobs} jobs ({Keys} lanes x {PerKey}); duplicate submissions {plan.DuplicateSubmission.Count(d => d)} injected, {duplicatesAbsorbed} absorbed " +
                $"(same job, nothing enqueued); duplicated messages {plan.DuplicateMessage.Count(d => d)}; transient-failing jobs {plan.Transient.Count(t => t)}; " +
                $"permanent {plan.PermanentIds.Count}, dead {dead.Count} (replayed {replayed.Count(r => r.Outcome == "replayed")}, each succeeded once); crashes between forward and record {faults.Crashes}, " +
                $"of which repeated a delivered effect {world.Repeats} (absorbed by the backend's Idempotency-Key); lost {Jobs - after.Count(j => j.State == JobState.Succeeded)}; " +
                $"submitted in {submitted.TotalSeconds:F1} s, all finished at {firstPass.TotalSeconds:F1} s, replays done at {clock.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    private static async Task<List<JobRecord>> AllJobsAsync(JobApp app)
    {
        var jobs = new List<JobRecord>();
        await foreach (var job in app.Store.QueryAsync("PartitionKey ge 'job-' and PartitionKey lt 'job.'", Ct))
        {
            jobs.Add(job);
        }

        return jobs;
    }

    private static async Task WaitAllFinishedAsync(JobApp app, TimeSpan within)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (true)
        {
            var open = 0;
            await foreach (var _ in app.Store.QueryAsync("State eq 'Queued' or State eq 'Running'", Ct))
            {
                open++;
            }

            if (open == 0)
            {
                return;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"{open} jobs still open after {within}");
            await Task.Delay(500, Ct);
        }
    }

    /// <summary>Which job gets which fault, fixed by a seed so a failure can be rerun.</summary>
    private sealed class Plan
    {
        private readonly string _run = Guid.NewGuid().ToString("N")[..8];

        public bool[] Permanent { get; } = new bool[Jobs];

        public bool[] Transient { get; } = new bool[Jobs];

        public bool[] Crash { get; } = new bool[Jobs];

        public bool[] DuplicateSubmission { get; } = new bool[Jobs];

        public bool[] DuplicateMessage { get; } = new bool[Jobs];

        public List<int[]> Lanes { get; } = [];

        public List<int[]> Streams { get; } = [];

        public HashSet<string> PermanentIds { get; } = [];

        public Dictionary<string, int> IndexOf { get; } = new(StringComparer.Ordinal);

        public static Plan Make(int seed)
        {
            var random = new Random(seed);
            var plan = new Plan();
            for (var i = 0; i < Jobs; i++)
            {
                var roll = random.NextDouble();
                plan.Permanent[i] = roll < 0.02;
                plan.Transient[i] = roll is >= 0.02 and < 0.07;
                plan.Crash[i] = random.NextDouble() < 0.03;
                plan.DuplicateSubmission[i] = random.NextDouble() < 0.10;
                plan.DuplicateMessage[i] = random.NextDouble() < 0.10;
                plan.IndexOf[JobIds.For(plan.Key(i))] = i;
                if (plan.Permanent[i])
                {
                    plan.PermanentIds.Add(JobIds.For(plan.Key(i)));
                }
            }

            // The first Keys x PerKey jobs form the lanes; the rest are loose.
            for (var k = 0; k < Keys; k++)
            {
                plan.Lanes.Add([.. Enumerable.Range(0, PerKey).Select(n => (k * PerKey) + n)]);
            }

            plan.Streams.AddRange(plan.Lanes);
            plan.Streams.AddRange(Enumerable.Range(Keys * PerKey, Jobs - (Keys * PerKey)).Select(i => new[] { i }));
            plan.Streams.Sort((a, b) => random.Next(3) - 1);
            return plan;
        }

        public bool IsOrdered(int i) => i < Keys * PerKey;

        public int Place(int i) => i % PerKey;

        public string LaneKey(int i) => $"lane-{i / PerKey}";

        public string Key(int i) => $"campaign-{_run}-{i}";

        public string Body(int i) => JsonSerializer.Serialize(new
        {
            pool = "pool",
            path = $"/work/{i}",
            orderingKey = IsOrdered(i) ? LaneKey(i) : null,
            payload = new { i, key = IsOrdered(i) ? LaneKey(i) : null, n = Place(i) },
        });
    }

    /// <summary>The four backends' shared ledger: one effect per Idempotency-Key, lane order, and in-flight checks per lane.</summary>
    private sealed class Effects(Plan plan)
    {
        private readonly ConcurrentDictionary<string, int> _effects = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, List<int>> _order = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
        private volatile bool _fixed;
        private int _repeats;

        public ConcurrentQueue<string> Violations { get; } = new();

        public int Repeats => Volatile.Read(ref _repeats);

        public void FixPermanentFailures() => _fixed = true;

        public int EffectsOf(string jobId) => _effects.GetValueOrDefault(jobId);

        public List<int> Order(string lane)
        {
            var order = _order.GetOrAdd(lane, _ => []);
            lock (order)
            {
                return [.. order];
            }
        }

        public async Task<int> AnswerAsync(Backend.Received received)
        {
            var id = received.Headers.TryGetValue("Idempotency-Key", out var key) ? key : "";
            if (!plan.IndexOf.TryGetValue(id, out var i))
            {
                Violations.Enqueue($"request without a known Idempotency-Key: '{id}'");
                return 400;
            }

            var lane = plan.IsOrdered(i) ? plan.LaneKey(i) : null;
            if (lane is not null && _inFlight.AddOrUpdate(lane, 1, (_, v) => v + 1) > 1)
            {
                Violations.Enqueue($"{lane}: job {plan.Place(i)} ran while another job of the lane was in flight");
            }

            try
            {
                await Task.Delay(5);
                var seen = _requests.AddOrUpdate(id, 1, (_, v) => v + 1);
                if (plan.Permanent[i] && !_fixed)
                {
                    return 400;
                }

                if (plan.Transient[i] && seen <= 2)
                {
                    return 503;
                }

                // The backend deduplicates by Idempotency-Key: a repeat is answered but has no second effect.
                if (_effects.AddOrUpdate(id, 1, (_, v) => v + 1) > 1)
                {
                    _effects.AddOrUpdate(id, 1, (_, v) => v - 1);
                    Interlocked.Increment(ref _repeats);
                    return 200;
                }

                if (lane is not null)
                {
                    var order = _order.GetOrAdd(lane, _ => []);
                    lock (order)
                    {
                        order.Add(plan.Place(i));
                    }
                }

                return 200;
            }
            finally
            {
                if (lane is not null)
                {
                    _inFlight.AddOrUpdate(lane, 0, (_, v) => v - 1);
                }
            }
        }
    }

    /// <summary>Crashes the runner of a planned job once, after the target answered and before the outcome is written.</summary>
    private sealed class CrashAfterForward(Plan plan) : JobFaults
    {
        private readonly ConcurrentDictionary<string, byte> _crashed = new(StringComparer.Ordinal);

        public int Crashes => _crashed.Count;

        public override ValueTask AfterForwardAsync(JobRecord job, CancellationToken cancellationToken) =>
            plan.IndexOf.TryGetValue(job.Id, out var i) && plan.Crash[i] && _crashed.TryAdd(job.Id, 0)
                ? throw new SimulatedCrashException()
                : ValueTask.CompletedTask;
    }
}
