using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Bench.Eviction;
using Serverless.Bench.Harness;
using Serverless.Core.Records;
using Serverless.Core.Storage;
using Serverless.Testing;
using StackExchange.Redis;

namespace Serverless.Bench.Records;

/// <summary>
/// Records against the raw services in the same run: GET per layer (L1, L2, table) and a Zipf mix vs raw Redis GET and
/// raw Table point reads; PUT per policy vs a raw Table upsert; write-behind flush throughput vs writing each record
/// straight to the table.
/// </summary>
public static class RecordBench
{
    private const int HotKeys = 100;
    private const int Space = 10_000;

    public static async Task RunAsync(TimeSpan duration)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var azurite = await AzuriteServer.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Records:Collections:l1:Policy"] = "write-through",
            ["Records:Collections:l2:Policy"] = "write-through",
            ["Records:Collections:l2:L1Size"] = "0",
            ["Records:Collections:cold:Policy"] = "write-around",
            ["Records:Collections:cold:L1Size"] = "0",
            ["Records:Collections:mixed:Policy"] = "cache-aside",
            ["Records:Collections:mixed:L1Size"] = $"{Space / 100}",
            ["Records:Collections:flush:Policy"] = "write-behind",
            ["Records:FlushBatch"] = "1000",
        };
        foreach (var policy in WritePolicies.Names)
        {
            settings[$"Records:Collections:{policy}:Policy"] = policy;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        // No host: the write-behind flusher does not run by itself; the flush measurement drives it.
        await using var provider = new ServiceCollection().AddLogging().AddServerless(configuration).BuildServiceProvider();
        var store = provider.GetRequiredService<RecordStore>();
        var table = provider.GetRequiredService<RecordTable>();
        var raw = provider.GetRequiredService<StorageClients>().Tables.GetTableClient("rawrecords");
        await raw.CreateIfNotExistsAsync();
        var db = provider.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var value = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { body = new string('x', 1000) });
        await db.StringSetAsync("raw:record", value);
        await raw.UpsertEntityAsync(Row("raw", "k", value));
        foreach (var collection in new[] { "l1", "l2" })
        {
            for (var k = 0; k < HotKeys; k++)
            {
                await store.PutAsync(collection, $"k{k}", value, RecordPrecondition.None);
            }
        }

        var report = new Report("Records: cached GET per layer, PUT per policy and write-behind flush vs raw Redis and raw Table (same run)")
            .Line($"Redis: {redis.Flavour}; Azurite tables; 1 KiB records; {duration.TotalSeconds:F0} s per measurement after warm-up; ratio = ours / raw.").Line("");
        var gets = new List<(Throughput.Result, Throughput.Result)>();
        var ratios = new List<string>();
        var counter = 0L;
        foreach (var c in new[] { 1, 16 })
        {
            var rawGet = await Throughput.MeasureAsync("Redis GET (raw)", c, duration, () => db.StringGetAsync("raw:record"));
            var rawRead = await Throughput.MeasureAsync("Table point read (raw)", c, duration, () => raw.GetEntityAsync<TableEntity>("raw", "k"));
            gets.Add((await Layered("GET, L1 warm", c, duration, ratios, l => store.GetAsync("l1", $"k{Interlocked.Increment(ref counter) % HotKeys}")), rawGet));
            gets.Add((await Layered("GET, L2 (no L1)", c, duration, ratios, l => store.GetAsync("l2", $"k{Interlocked.Increment(ref counter) % HotKeys}")), rawGet));
            gets.Add((await ColdAsync(store, table, value, c, duration, ratios), rawRead));
            gets.Add((await MixedAsync(store, table, value, c, duration, ratios), rawGet));
        }

        report.Table(gets).Line("Which layer answered (share of GETs):").Line("").Lines(ratios).Line("");

        var puts = new List<(Throughput.Result, Throughput.Result)>();
        foreach (var c in new[] { 1, 16 })
        {
            var rawUpsert = await Throughput.MeasureAsync("Table upsert (raw)", c, duration,
                () => raw.UpsertEntityAsync(Row("raw", $"k{Interlocked.Increment(ref counter) % 1000}", value)));
            foreach (var policy in WritePolicies.Names)
            {
                puts.Add((await Throughput.MeasureAsync($"PUT {policy}", c, duration,
                    () => store.PutAsync(policy, $"k{Interlocked.Increment(ref counter) % 1000}", value, RecordPrecondition.None)), rawUpsert));
            }
        }

        report.Line("Write latency per policy (write-behind acknowledges after Redis; the others after the table):").Line("").Table(puts);
        await FlushAsync(report, provider, store, raw, value);
        await report.SaveAsync("records");
    }

    private static async Task<Throughput.Result> Layered(string name, int c, TimeSpan duration, List<string> ratios, Func<int, Task<RecordResult>> get)
    {
        var layers = new long[3];
        var result = await Throughput.MeasureAsync($"records {name}", c, duration, async () =>
        {
            var read = await get(0);
            Interlocked.Increment(ref layers[(int)read.Layer]);
        });
        var total = Math.Max(1, layers.Sum());
        ratios.Add(string.Create(CultureInfo.InvariantCulture,
            $"- {name}, c={c}: L1 {100.0 * layers[0] / total:F1}%, L2 {100.0 * layers[1] / total:F1}%, table {100.0 * layers[2] / total:F1}%"));
        return result;
    }

    // Every GET a first read of a record that is only in the table: rows written straight to the table, enough for the run.
    private static async Task<Throughput.Result> ColdAsync(RecordStore store, RecordTable table, byte[] value, int c, TimeSpan duration, List<string> ratios)
    {
        var prefix = $"c{c}-";
        var count = c == 1 ? 4_000 : 12_000;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (i, ct) => await table.TryWriteAsync("cold", new RecordWrite($"{prefix}{i}", 1, false, value), null, ct));
        var next = -1L;
        return await Layered("GET, cold (table, then fill)", c, duration, ratios, _ => store.GetAsync("cold", $"{prefix}{Interlocked.Increment(ref next) % count}"));
    }

    // Zipf 0.9 over 10 000 records with an L1 of 1% and Redis starting empty: the share each layer answers.
    private static async Task<Throughput.Result> MixedAsync(RecordStore store, RecordTable table, byte[] value, int c, TimeSpan duration, List<string> ratios)
    {
        var prefix = $"m{c}-";
        await Parallel.ForEachAsync(Enumerable.Range(0, Space), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (i, ct) => await table.TryWriteAsync("mixed", new RecordWrite($"{prefix}{i}", 1, false, value), null, ct));
        var trace = EvictionTraces.Zipf(0.9).Accesses;
        var next = -1L;
        return await Layered("GET, Zipf 0.9 mix (L1 1%)", c, duration, ratios, _ => store.GetAsync("mixed", $"{prefix}{trace[Interlocked.Increment(ref next) % trace.Length]}"));
    }

    private static async Task FlushAsync(Report report, ServiceProvider provider, RecordStore store, TableClient raw, byte[] value)
    {
        var flusher = provider.GetRequiredService<WriteBehindFlusher>();
        // The PUT measurement left tens of thousands of entries in the write-behind collection's log; they are not what
        // this measures, so they go untimed (a trim keeps the consumer group).
        await provider.GetRequiredService<IConnectionMultiplexer>().GetDatabase().StreamTrimAsync("sl:records:{write-behind}:log", 0);
        report.Line("Write-behind flush (records written into the table per second) vs writing each record straight to the table:").Line("")
            .Line("| run | records accepted | records written to the table | seconds | table records/s |").Line("|---|---:|---:|---:|---:|");
        foreach (var (label, writes, keys) in new[] { ("3 000 distinct keys", 3_000, 3_000), ("3 000 writes over 100 hot keys (coalesced)", 3_000, 100) })
        {
            var tag = Guid.NewGuid().ToString("N")[..6];
            await Parallel.ForEachAsync(Enumerable.Range(0, writes), new ParallelOptions { MaxDegreeOfParallelism = 16 },
                async (i, _) => await store.PutAsync("flush", $"{tag}-{i % keys}", value, RecordPrecondition.None));
            var before = flusher.Flushed;
            var watch = Stopwatch.StartNew();
            while (await flusher.FlushOnceAsync(CancellationToken.None) > 0)
            {
            }

            var seconds = watch.Elapsed.TotalSeconds;
            var written = flusher.Flushed - before;
            report.Line(string.Create(CultureInfo.InvariantCulture, $"| flusher, {label} | {writes:N0} | {written:N0} | {seconds:F2} | {written / seconds:N0} (accepted writes/s: {writes / seconds:N0}) |"));
        }

        foreach (var parallel in new[] { 1, 16 })
        {
            var watch = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, 3_000), new ParallelOptions { MaxDegreeOfParallelism = parallel },
                async (i, ct) => await raw.UpsertEntityAsync(Row("direct", $"{parallel}-{i}", value), cancellationToken: ct));
            var seconds = watch.Elapsed.TotalSeconds;
            report.Line(string.Create(CultureInfo.InvariantCulture, $"| straight to the table, {parallel} at a time | 3,000 | 3,000 | {seconds:F2} | {3000 / seconds:N0} |"));
        }

        report.Line("");
    }

    private static TableEntity Row(string partition, string key, byte[] value) => new(partition, key) { ["Version"] = 1L, ["Deleted"] = false, ["Data"] = value };
}
