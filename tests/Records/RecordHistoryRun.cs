using System.Diagnostics;
using Serverless.Core.Records;

namespace Serverless.Tests.Records;

/// <summary>
/// Drives many clients against a few hot keys for a while: each picks a key at random and reads (70%) or writes
/// (30%), back to back, recording every operation in a <see cref="RecordHistory"/>. <c>clientFor</c> is asked on every
/// operation, so an instance that joins mid-run takes over some clients from then on.
/// </summary>
internal static class RecordHistoryRun
{
    public static async Task RunAsync(RecordHistory history, Func<int, IRecordClient?> clientFor, int clients, IReadOnlyList<string> keys, TimeSpan duration, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            // Not for security: a seeded generator per client makes a failing run's mix reproducible.
#pragma warning disable CA5394
            var random = new Random(client);
            var sequence = 0;
            IRecordClient? target;
            while ((target = clientFor(client)) is null && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(20, ct);
            }

            while (target is not null && Stopwatch.GetTimestamp() < deadline && !ct.IsCancellationRequested)
            {
                var key = keys[random.Next(keys.Count)];
                var write = random.NextDouble() < 0.3;
#pragma warning restore CA5394
                var start = Stopwatch.GetTimestamp();
                var id = $"c{client}-{sequence++}";
                try
                {
                    if (write)
                    {
                        var version = await target.WriteAsync(key, id, ct);
                        history.Add(new RecordOp(client, target.Instance, key, true, start, Stopwatch.GetTimestamp(), version ?? 0, CacheLayer.Table, version is not null, id));
                    }
                    else
                    {
                        var (version, layer) = await target.ReadAsync(key, ct);
                        history.Add(new RecordOp(client, target.Instance, key, false, start, Stopwatch.GetTimestamp(), version, layer, true, null));
                    }
                }
                catch (Exception ex) when (Serverless.Core.Redis.RedisOutage.Is(ex))
                {
                    // A 503 to the client: not acknowledged, so the checker holds no one to it (a write may still have landed).
                    history.Add(new RecordOp(client, target.Instance, key, write, start, Stopwatch.GetTimestamp(), 0, CacheLayer.Table, false, id));
                }
            }
        }, ct)));
    }

    /// <summary>Records every invalidation <paramref name="app"/> applies, as instance <paramref name="instance"/>.</summary>
    public static void Observe(RecordHistory history, RecordApp app, int instance) =>
        app.Get<Serverless.Core.Caching.InvalidationBackplane>().Dropped += (_, drop) => history.Dropped(instance, drop.Key, drop.Version);

    /// <summary>
    /// Waits until the table holds the last acknowledged write of every key (write-behind flushes later), or the
    /// deadline passes; returns the keys whose table row is older than their last acknowledged write.
    /// </summary>
    public static async Task<List<string>> UnsettledAsync(RecordHistory history, RecordTable table, string collection, IEnumerable<string> keys, TimeSpan within, CancellationToken ct)
    {
        var last = history.LastAcknowledged();
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var behind = new List<string>();
            foreach (var key in keys.Where(last.ContainsKey))
            {
                var row = await table.GetAsync(collection, key, ct);
                var expected = last[key];
                if (row is null || row.Version < expected.Version)
                {
                    behind.Add($"{key}: table v{row?.Version ?? 0}, acknowledged v{expected.Version}");
                }
                else if (row.Version == expected.Version && !System.Text.Encoding.UTF8.GetString(row.Data.Span).Contains(expected.WriteId!, StringComparison.Ordinal))
                {
                    behind.Add($"{key}: table v{row.Version} holds another write than {expected.WriteId}");
                }
            }

            if (behind.Count == 0 || DateTime.UtcNow > deadline)
            {
                return behind;
            }

            await Task.Delay(100, ct);
        }
    }
}
