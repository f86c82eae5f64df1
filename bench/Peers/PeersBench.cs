using System.Globalization;
using System.Text;
using Serverless.Bench.Harness;
using Serverless.Testing;

namespace Serverless.Bench.Peers;

/// <summary>
/// Ours beside the libraries a .NET team would pick instead, on one redis-server and one connection, measured in turn
/// (A, B, A, B, A, B; medians) at c=1 and c=16, with raw-Redis baselines as a second reference. Writes
/// <c>bench/results/peers.md</c> and one chart per scenario (<c>bench/results/peers-*.png</c>).
/// </summary>
public static class PeersBench
{
    private const int Rounds = 3;

    public static async Task RunAsync(TimeSpan duration)
    {
        var loadAtStart = LoadAverage();
        var started = DateTime.UtcNow;
        await using var context = await PeerContext.StartAsync(duration, Rounds);
        var results = Path.Combine(RepositoryPaths.Root, "bench", "results");

        var sessions = await SessionPeers.Fixture.CreateAsync(context);
        var scenarios = new List<(string File, string Title, List<SideBySide.Sample> Samples)>
        {
            ("peers-session-get", "Session get: ours vs RedisCache JSON blob", await SessionPeers.GetAsync(context, sessions)),
            ("peers-session-set", "Session set one attribute: ours vs RedisCache get+modify+set", await SessionPeers.SetAsync(context, sessions)),
            ("peers-lock", "Redis lock acquire+release: ours vs DistributedLock.Redis, RedLock.net", await LockPeers.PairsAsync(context)),
        };
        var (l1, l2) = await SearchPeers.HitsAsync(context);
        scenarios.Add(("peers-search-l1", "Search L1 hit: ours vs HybridCache (immutable type)", l1));
        scenarios.Add(("peers-search-l2", "Search L2 hit, empty L1: ours vs HybridCache over RedisCache", l2));
        var lost = await SessionPeers.LostUpdatesAsync(sessions);
        var stampede = await SearchPeers.StampedeAsync(context);
        var wrr = await WrrPeers.CompareAsync(context, picks: 28);

        var text = new StringBuilder()
            .AppendLine("## Peers: ours beside the libraries users would pick instead (same redis-server, same connection, one run)")
            .AppendLine()
            .AppendLine(string.Create(CultureInfo.InvariantCulture, $"Redis: {context.Redis.Flavour}; each contender measured {Rounds} times in turn (A, B, C, A, B, C, …), {duration.TotalSeconds:F0} s each after warm-up; figures are medians. ") +
                "Client and redis-server share the machine's 2 cores, and other work ran on it: only ratios within this run count. " +
                "Redis commands/op counts every command redis-server executed (`INFO commandstats` delta: EVALSHA and the commands inside a script each count); " +
                "Redis CPU µs/op is redis-server's user + system CPU time (`INFO cpu` delta); round trips/op are the requests the shared connection sent; bytes allocated/op are the whole process's.")
            .AppendLine()
            .AppendLine(PeerReport.Summary(scenarios.Select(s => (IReadOnlyList<SideBySide.Sample>)s.Samples)))
            .AppendLine(CultureInfo.InvariantCulture, $"| 50 concurrent writers each set one attribute: updates kept | ours {lost.Ours} of 50 | RedisCache blob {lost.Peer} of 50 | |")
            .AppendLine(CultureInfo.InvariantCulture, $"| cross-instance stampede, 200 cold requests on 2 instances: factory runs | ours {stampede.Ours} | HybridCache {stampede.Peer} | |");
        if (wrr is null)
        {
            text.AppendLine("| smooth weighted round robin vs nginx | nginx not installed (`apt-get install nginx-light`) | | |");
        }
        else
        {
            foreach (var row in wrr)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| smooth weighted round robin {{{row.Weights}}}, {row.Ours.Length} picks | {(row.Identical ? "identical to nginx" : "DIFFERS from nginx")} | ours `{row.Ours}` | nginx `{row.Nginx}` |");
            }
        }

        text.AppendLine();
        foreach (var (file, title, samples) in scenarios)
        {
            var chart = PeerChart.Save(title, samples, Path.Combine(results, file + ".png"));
            text.AppendLine(CultureInfo.InvariantCulture, $"### {title}").AppendLine()
                .AppendLine(PeerReport.Table(samples))
                .AppendLine(CultureInfo.InvariantCulture, $"![{title}]({Path.GetFileName(chart)})").AppendLine();
        }

        text.AppendLine(CultureInfo.InvariantCulture,
            $"_Measured {started:yyyy-MM-dd HH:mm}–{DateTime.UtcNow:HH:mm} UTC on {Environment.ProcessorCount} cores; load average {loadAtStart} at start, {LoadAverage()} at end (`/proc/loadavg`: 1, 5, 15 min)._");
        Console.WriteLine(text);
        Directory.CreateDirectory(results);
        await File.WriteAllTextAsync(Path.Combine(results, "peers.md"), text.ToString());
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
