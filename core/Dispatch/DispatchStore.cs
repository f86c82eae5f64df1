using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Serverless.Core.Dispatch.Hashing;
using Serverless.Core.Redis;
using Serverless.Core.Telemetry;
using StackExchange.Redis;

namespace Serverless.Core.Dispatch;

/// <summary>
/// Pools and their shared balancing state in Redis. Every pick and every outcome is one Lua round trip, so any number of
/// instances follow one sequence and see one set of in-flight counts, latencies and ejections.
/// The pool index (for listing and probing) is an aggregate of its own, so saving and deleting a pool are two
/// single-slot steps. The index may list a pool that does not exist, never the other way round: a save lists the
/// pool first and writes it after, a delete removes it first and unlists it after, and readers skip listed pools
/// that do not exist. Each save writes a new generation into both; a delete unlists only the generation it removed,
/// so a save of the same name running meanwhile keeps its entry.
/// </summary>
public sealed class DispatchStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<DispatchOptions> options, TimeProvider time)
{
    // A script answers 'stale' only when the pool's target list changed since this instance last saw it; more than a
    // few in a row means saves are racing each other, not that the list is still unknown.
    private const int MaxAttempts = 5;

    private readonly IDatabase _db = redis.GetDatabase();
    private readonly PoolKeyCache _keys = new(keys);
    private readonly HashTableCache _tables = new();

    /// <summary>Source of the two random numbers power-of-two-choices samples with; the benchmark seeds it.</summary>
    internal Func<double> Random { get; set; } = System.Random.Shared.NextDouble;

    /// <summary>Called between the steps of saving or deleting (see <see cref="DispatchSteps"/>); tests stop there.</summary>
    internal Func<string, Task>? BetweenSteps { get; set; }

    /// <summary>Creates or replaces a pool. Targets kept by id and address keep their health and latency. True when created.</summary>
    public async Task<bool> SaveAsync(string pool, PoolDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        EnsureName(pool);
        var generation = Guid.NewGuid().ToString("N");
        await _db.HashSetAsync(_keys.Index, pool, generation);
        await StepAsync(DispatchSteps.SaveListed);
        var newIds = definition.Targets.Select(t => t.Id).ToArray();
        var reply = await RunAsync(pool, known =>
        {
            var leaseIds = known.Ids.Union(newIds, StringComparer.Ordinal).ToArray();
            var call = DispatchScripts.Save.Call(restKeys: leaseIds.Length, restArgs: 4 * definition.Targets.Count)
                .Key("pool", known.Pool)
                .Arg("old", known.Targets)
                .Arg("leaseIds", string.Join(' ', leaseIds))
                .Arg("policy", definition.Policy.Name())
                .Arg("json", PoolDefinitionJson.Write(definition))
                .Arg("gen", generation);
            foreach (var id in leaseIds)
            {
                call.RestKey(_keys.Lease(pool, id));
            }

            foreach (var target in definition.Targets)
            {
                call.RestArg(target.Id).RestArg(target.Weight).RestArg(target.Kind == TargetKind.Http ? "http" : "queue").RestArg(target.Address);
            }

            return call;
        });
        _keys.Learn(pool, string.Join(' ', newIds));
        return (string?)reply[0] == "created";
    }

    /// <summary>The pool with live target state, or null.</summary>
    public async Task<PoolView?> GetAsync(string pool)
    {
        if (!PoolName.IsValid(pool))
        {
            return null;
        }

        var reply = await RunAsync(pool, known => WithLeases(DispatchScripts.Read.Call(restKeys: known.Leases.Length)
            .Key("pool", known.Pool)
            .Arg("now", time.GetUtcNow().ToUnixTimeMilliseconds())
            .Arg("slow", (long)options.Value.SlowStart.TotalMilliseconds)
            .Arg("decay", (long)options.Value.LatencyDecay.TotalMilliseconds)
            .Arg("targets", known.Targets), known));
        if ((string?)reply[0] != "ok")
        {
            return null;
        }

        using var json = JsonDocument.Parse((string)reply[1]!);
        var definition = PoolDefinitionParser.Parse(json.RootElement).Definition
            ?? throw new InvalidOperationException($"Pool '{pool}' holds a definition that no longer parses.");
        var slowStart = options.Value.SlowStart;
        var states = ((RedisResult[])reply[2]!).Select(r => (RedisResult[])r!).Select(row =>
        {
            var ejected = Long(row[6]);
            var since = Long(row[7]);
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            return new TargetState(
                (string)row[0]!,
                (int)Long(row[1]),
                Double(row[2]),
                (int)Long(row[3]),
                Math.Round(Double(row[4]), 3),
                (int)Long(row[5]),
                (int)Long(row[8]),
                ejected > now ? DateTimeOffset.FromUnixTimeMilliseconds(ejected) : null,
                since > 0 && since + (long)slowStart.TotalMilliseconds > now ? DateTimeOffset.FromUnixTimeMilliseconds(since).Add(slowStart) : null);
        }).ToList();
        return new PoolView(pool, definition, states);
    }

    /// <summary>Deletes a pool with all its state. False when there was none.</summary>
    public async Task<bool> DeleteAsync(string pool)
    {
        if (!PoolName.IsValid(pool))
        {
            return false;
        }

        var reply = await RunAsync(pool, known => WithLeases(DispatchScripts.Delete.Call(restKeys: known.Leases.Length)
            .Key("pool", known.Pool).Key("seq", known.Seq)
            .Arg("targets", known.Targets), known));
        if ((string?)reply[0] != "deleted")
        {
            return false;
        }

        _keys.Forget(pool);
        _tables.Forget(pool);
        await StepAsync(DispatchSteps.DeleteRemoved);
        if ((string?)reply[1] is { Length: > 0 } generation)
        {
            await DispatchScripts.Unlist.Call().Key("index", _keys.Index).Arg("name", pool).Arg("gen", generation).EvaluateAsync(_db);
        }

        return true;
    }

    /// <summary>Names of every pool.</summary>
    public async Task<IReadOnlyList<string>> ListAsync()
    {
        var listed = (await _db.HashKeysAsync(_keys.Index)).Select(v => (string)v!).ToArray();
        // One EXISTS per pool, pipelined: each pool is in its own slot. A listed pool that is not there was never
        // written (a save stopped after listing it) or was deleted (a delete stopped before unlisting it).
        var exist = await Task.WhenAll(listed.Select(name => _db.KeyExistsAsync(_keys.For(name).Pool)));
        return [.. listed.Where((_, i) => exist[i]).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Chooses a target by the pool's policy and takes a lease on it, optionally leaving one target out (a retry).
    /// <paramref name="keyOf"/> reads the request's key for the hashing policies (ring-hash, maglev); without one they
    /// answer <see cref="PickStatus.NoKey"/>.
    /// </summary>
    public async Task<PickResult> PickAsync(string pool, string? excludeTargetId = null, Func<HashKeyRule, string?>? keyOf = null)
    {
        if (!PoolName.IsValid(pool))
        {
            return new PickResult(PickStatus.PoolNotFound);
        }

        // The pick is the hot path: one exactly sized call over cached keys, and the random numbers as doubles, which
        // the client writes without a culture-aware string round trip. A hashing pool's table is cached per pool
        // generation; the script answers 'rehash' with the definition when this instance's table is not the current one.
        var limits = options.Value;
        var leaseId = Guid.NewGuid().ToString("N");
        for (var attempt = 1; ; attempt++)
        {
            var hashed = _tables.For(pool);
            var key = hashed is null ? null : keyOf?.Invoke(hashed.Definition.Hashing!.Key);
            var keyHash = key is null ? 0 : KeyHash.Of(key);
            var reply = await RunAsync(pool, known => WithLeases(DispatchScripts.Pick.Call(restKeys: known.Leases.Length)
                .Key("pool", known.Pool).Key("seq", known.Seq)
                .Arg("now", time.GetUtcNow().ToUnixTimeMilliseconds())
                .Arg("slow", (long)limits.SlowStart.TotalMilliseconds)
                .Arg("decay", (long)limits.LatencyDecay.TotalMilliseconds)
                .Arg("targets", known.Targets)
                .Arg("lease", (long)limits.LeaseDuration.TotalMilliseconds)
                .Arg("leaseId", leaseId)
                .Arg("exclude", excludeTargetId ?? "")
                .Arg("r1", Random())
                .Arg("r2", Random())
                .Arg("penalty", (long)limits.Timeout.TotalMilliseconds)
                .Arg("gen", hashed?.Generation ?? "")
                .Arg("prefs", key is null ? "" : hashed!.Preferences(keyHash))
                .Arg("factor", hashed?.Definition.Hashing!.BalanceFactor ?? 1), known));
            switch ((string?)reply[0])
            {
                case "ok":
                    DispatchMetrics.Picked(pool, (string)reply[8]!, (string)reply[1]!);
                    var kind = (string?)reply[2] == "queue" ? TargetKind.Queue : TargetKind.Http;
                    var reason = (string?)reply[7];
                    if (string.IsNullOrEmpty(reason) && hashed is not null)
                    {
                        // The pool no longer hashes: stop building preferences for it.
                        _tables.Forget(pool);
                    }

                    return new PickResult(PickStatus.Picked, new PoolLease(pool, (string)reply[1]!, kind, (string)reply[3]!, leaseId, (long)reply[4],
                        Samples((string?)reply[5], (string?)reply[6]), string.IsNullOrEmpty(reason) ? null : new HashRoute(reason, keyHash)));
                case "rehash" when attempt < MaxAttempts:
                    _tables.Learn(pool, (string)reply[2]!, (string)reply[1]!);
                    continue;
                case "rehash":
                    throw new InvalidOperationException($"Pool '{pool}' was saved {MaxAttempts} times while one pick was running.");
                case "nokey":
                    return new PickResult(PickStatus.NoKey, Detail: $"The pool routes by the {hashed!.Definition.Hashing!.Key.Describe()}, which the request does not carry.");
                case "missing":
                    _tables.Forget(pool);
                    return new PickResult(PickStatus.PoolNotFound);
                case "ejected":
                    DispatchMetrics.NotPicked(pool, "all-ejected");
                    return new PickResult(PickStatus.AllEjected, RetryAfter: TimeSpan.FromMilliseconds((long)reply[1]));
                case "none":
                    DispatchMetrics.NotPicked(pool, "no-target");
                    return new PickResult(PickStatus.NoTarget);
                default:
                    throw new InvalidOperationException($"Unexpected pick reply '{reply[0]}'.");
            }
        }
    }

    /// <summary>Records how a request to the target ended and releases its lease (all in one script).</summary>
    public Task<RecordResult> RecordAsync(PoolLease lease, Outcome outcome, TimeSpan? latency)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return RecordAsync(lease.Pool, lease.TargetId, lease.LeaseId, outcome, latency);
    }

    /// <summary>Records an outcome for a target without a lease (an active probe) or with one.</summary>
    public async Task<RecordResult> RecordAsync(string pool, string targetId, string? leaseId, Outcome outcome, TimeSpan? latency)
    {
        EnsureName(pool);
        var limits = options.Value;
        var reply = (RedisResult[])(await DispatchScripts.Record.Call()
            .Key("pool", _keys.For(pool).Pool)
            .Key("lease", _keys.Lease(pool, targetId))
            .Arg("now", time.GetUtcNow().ToUnixTimeMilliseconds())
            .Arg("slow", (long)limits.SlowStart.TotalMilliseconds)
            .Arg("decay", (long)limits.LatencyDecay.TotalMilliseconds)
            .Arg("target", targetId)
            .Arg("leaseId", leaseId ?? "")
            .Arg("outcome", outcome switch { Outcome.Success => "ok", Outcome.Failure => "fail", _ => "release" })
            .Arg("sampleMs", latency is { } l ? Math.Round(l.TotalMilliseconds, 3).ToString("R", CultureInfo.InvariantCulture) : "-1")
            .Arg("threshold", limits.FailureThreshold)
            .Arg("first", (long)limits.EjectionBase.TotalMilliseconds)
            .Arg("longest", (long)limits.EjectionMax.TotalMilliseconds)
            .EvaluateAsync(_db))!;
        DispatchMetrics.Recorded(pool, targetId, ejected: reply.Length > 2, readmitted: reply.Length > 1 && (string?)reply[1] == "readmitted");
        return (string?)reply[0] switch
        {
            "ejected" => new RecordResult(true, 0, DateTimeOffset.FromUnixTimeMilliseconds((long)reply[1])),
            "failed" => new RecordResult(false, (int)reply[1], null),
            _ => new RecordResult(false, 0, null),
        };
    }

    // Runs a script built for the target list this instance knows; on 'stale' learns the real list and runs it again.
    private async Task<RedisResult[]> RunAsync(string pool, Func<PoolKeys, ScriptCall> build)
    {
        var known = _keys.For(pool);
        for (var attempt = 1; ; attempt++)
        {
            var reply = (RedisResult[])(await build(known).EvaluateAsync(_db))!;
            switch ((string?)reply[0])
            {
                case "stale" when attempt < MaxAttempts:
                    known = _keys.Learn(pool, (string?)reply[1] ?? "");
                    continue;
                case "stale":
                    throw new InvalidOperationException($"Pool '{pool}' changed its targets {MaxAttempts} times while one call was running.");
                case "missing":
                    _keys.Forget(pool);
                    return reply;
                default:
                    return reply;
            }
        }
    }

    private static ScriptCall WithLeases(ScriptCall call, PoolKeys known)
    {
        foreach (var lease in known.Leases)
        {
            call.RestKey(lease);
        }

        return call;
    }

    private Task StepAsync(string step) => BetweenSteps?.Invoke(step) ?? Task.CompletedTask;

    private static string[] Samples(string? a, string? b) =>
        string.IsNullOrEmpty(a) ? [] : string.IsNullOrEmpty(b) ? [a] : [a, b];

    private static void EnsureName(string pool)
    {
        if (!PoolName.IsValid(pool))
        {
            throw new ArgumentException(PoolName.Rule, nameof(pool));
        }
    }

    private static long Long(RedisResult value) => (long)Math.Round(Double(value));

    private static double Double(RedisResult value) => double.Parse((string)value!, CultureInfo.InvariantCulture);
}
