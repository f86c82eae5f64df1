using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Serverless.Core.Redis;
using StackExchange.Redis;

namespace Serverless.Core.Dispatch;

/// <summary>
/// Pools and their shared balancing state in Redis. Every pick and every outcome is one Lua round trip, so any number of
/// instances follow one sequence and see one set of in-flight counts, latencies and ejections.
/// </summary>
public sealed class DispatchStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<DispatchOptions> options, TimeProvider time)
{
    private readonly IDatabase _db = redis.GetDatabase();
    private readonly RedisKey _index = keys.For("dispatch", "index");

    /// <summary>Source of the two random numbers power-of-two-choices samples with; the benchmark seeds it.</summary>
    internal Func<double> Random { get; set; } = System.Random.Shared.NextDouble;

    /// <summary>Creates or replaces a pool. Targets kept by id and address keep their health and latency. True when created.</summary>
    public async Task<bool> SaveAsync(string pool, PoolDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        EnsureName(pool);
        var args = Common(pool);
        args.Add(pool);
        args.Add(definition.Policy.Name());
        args.Add(PoolDefinitionJson.Write(definition));
        foreach (var target in definition.Targets)
        {
            args.Add(target.Id);
            args.Add(target.Weight);
            args.Add(target.Kind == TargetKind.Http ? "http" : "queue");
            args.Add(target.Address);
        }

        var reply = await DispatchScripts.Save.EvaluateAsync(_db, [PoolKey(pool), _index], [.. args]);
        return (string?)reply == "created";
    }

    /// <summary>The pool with live target state, or null.</summary>
    public async Task<PoolView?> GetAsync(string pool)
    {
        if (!PoolName.IsValid(pool))
        {
            return null;
        }

        var reply = (RedisResult[])(await DispatchScripts.Read.EvaluateAsync(_db, [PoolKey(pool)], [.. Common(pool)]))!;
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

        var args = Common(pool);
        args.Add(pool);
        return (int)await DispatchScripts.Delete.EvaluateAsync(_db, [PoolKey(pool), _index], [.. args]) == 1;
    }

    /// <summary>Names of every pool.</summary>
    public async Task<IReadOnlyList<string>> ListAsync() =>
        [.. (await _db.SetMembersAsync(_index)).Select(v => (string)v!).Order(StringComparer.Ordinal)];

    /// <summary>Chooses a target by the pool's policy and takes a lease on it, optionally leaving one target out (a retry).</summary>
    public async Task<PickResult> PickAsync(string pool, string? excludeTargetId = null)
    {
        if (!PoolName.IsValid(pool))
        {
            return new PickResult(PickStatus.PoolNotFound);
        }

        // The pick is the hot path: its arguments go straight into one array (no list, no copy) and the random numbers
        // as doubles, which the client writes without a culture-aware string round trip.
        var limits = options.Value;
        var leaseId = Guid.NewGuid().ToString("N");
        var poolBase = Base(pool);
        RedisValue[] args =
        [
            poolBase, time.GetUtcNow().ToUnixTimeMilliseconds(), (long)limits.SlowStart.TotalMilliseconds, (long)limits.LatencyDecay.TotalMilliseconds,
            (long)limits.LeaseDuration.TotalMilliseconds, leaseId, excludeTargetId ?? "", Random(), Random(), (long)limits.Timeout.TotalMilliseconds,
        ];
        var reply = (RedisResult[])(await DispatchScripts.Pick.EvaluateAsync(_db, [poolBase + "pool"], args))!;
        switch ((string?)reply[0])
        {
            case "ok":
                var kind = (string?)reply[2] == "queue" ? TargetKind.Queue : TargetKind.Http;
                return new PickResult(PickStatus.Picked, new PoolLease(pool, (string)reply[1]!, kind, (string)reply[3]!, leaseId, (long)reply[4], Samples((string?)reply[5], (string?)reply[6])));
            case "missing":
                return new PickResult(PickStatus.PoolNotFound);
            case "ejected":
                return new PickResult(PickStatus.AllEjected, RetryAfter: TimeSpan.FromMilliseconds((long)reply[1]));
            case "none":
                return new PickResult(PickStatus.NoTarget);
            default:
                throw new InvalidOperationException($"Unexpected pick reply '{reply[0]}'.");
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
        var args = Common(pool);
        args.Add(targetId);
        args.Add(leaseId ?? "");
        args.Add(outcome switch { Outcome.Success => "ok", Outcome.Failure => "fail", _ => "release" });
        args.Add(latency is { } l ? Math.Round(l.TotalMilliseconds, 3).ToString("R", CultureInfo.InvariantCulture) : "-1");
        args.Add(limits.FailureThreshold);
        args.Add((long)limits.EjectionBase.TotalMilliseconds);
        args.Add((long)limits.EjectionMax.TotalMilliseconds);
        var reply = (RedisResult[])(await DispatchScripts.Record.EvaluateAsync(_db, [PoolKey(pool)], [.. args]))!;
        return (string?)reply[0] switch
        {
            "ejected" => new RecordResult(true, 0, DateTimeOffset.FromUnixTimeMilliseconds((long)reply[1])),
            "failed" => new RecordResult(false, (int)reply[1], null),
            _ => new RecordResult(false, 0, null),
        };
    }

    private static string[] Samples(string? a, string? b) =>
        string.IsNullOrEmpty(a) ? [] : string.IsNullOrEmpty(b) ? [a] : [a, b];

    private RedisKey PoolKey(string pool) => Base(pool) + "pool";

    private string Base(string pool) => keys.For("dispatch", "{" + pool + "}", "").ToString();

    private List<RedisValue> Common(string pool)
    {
        var limits = options.Value;
        return [Base(pool), time.GetUtcNow().ToUnixTimeMilliseconds(), (long)limits.SlowStart.TotalMilliseconds, (long)limits.LatencyDecay.TotalMilliseconds];
    }

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
