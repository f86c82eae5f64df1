using System.Globalization;
using StackExchange.Redis;

namespace Serverless.Bench.Harness;

/// <summary>
/// Per-operation costs over the measured part of a run: Redis commands executed (an <c>INFO commandstats</c> delta, so
/// the commands a script runs count too), round trips the measured connection sent (its operation counter), and bytes
/// allocated by the whole process (all threads: continuations and the client's reader run off the caller's thread).
/// redis-server's own CPU time per operation (user + system, from <c>INFO cpu</c>: parsing, scripts, network writes)
/// shows where a shared machine's cores go. INFO goes over a connection of its own so it is not counted as a round
/// trip, and its own calls are left out.
/// </summary>
public sealed class RedisProbe(IConnectionMultiplexer measured, IServer server) : Throughput.IProbe
{
    private long _commands;
    private long _roundTrips;
    private long _bytes;
    private double _cpu;

    /// <summary>The last run's figures.</summary>
    public Costs Last { get; private set; } = new(0, 0, 0, 0);

    public async Task StartAsync()
    {
        _commands = await CommandsAsync();
        _cpu = await CpuSecondsAsync();
        _roundTrips = RoundTrips();
        _bytes = GC.GetTotalAllocatedBytes(precise: true);
    }

    public async Task StopAsync(long operations)
    {
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - _bytes;
        var roundTrips = RoundTrips() - _roundTrips;
        var commands = await CommandsAsync() - _commands;
        var cpu = await CpuSecondsAsync() - _cpu;
        var n = Math.Max(1, operations);
        Last = new Costs((double)commands / n, (double)roundTrips / n, (double)bytes / n, cpu * 1e6 / n);
    }

    private long RoundTrips() => measured.GetCounters().Interactive.OperationCount;

    private async Task<long> CommandsAsync()
    {
        var total = 0L;
        foreach (var group in await server.InfoAsync("commandstats"))
        {
            foreach (var (name, value) in group)
            {
                if (name.Equals("cmdstat_info", StringComparison.Ordinal))
                {
                    continue;
                }

                // "calls=12,usec=34,usec_per_call=2.83,rejected_calls=0,failed_calls=0"
                var calls = value.Split(',')[0];
                total += long.Parse(calls.AsSpan(calls.IndexOf('=', StringComparison.Ordinal) + 1), CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    private async Task<double> CpuSecondsAsync()
    {
        var seconds = 0.0;
        foreach (var group in await server.InfoAsync("cpu"))
        {
            foreach (var (name, value) in group)
            {
                if (name is "used_cpu_sys" or "used_cpu_user")
                {
                    seconds += double.Parse(value, CultureInfo.InvariantCulture);
                }
            }
        }

        return seconds;
    }

    /// <summary>Per-operation costs; <paramref name="RedisCpuUs"/> is redis-server's CPU time in microseconds.</summary>
    public sealed record Costs(double Commands, double RoundTrips, double Bytes, double RedisCpuUs);
}
