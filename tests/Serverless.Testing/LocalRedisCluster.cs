using StackExchange.Redis;

namespace Serverless.Testing;

/// <summary>
/// A local Redis Cluster of three masters, the smallest with every hash slot assigned: three <c>redis-server
/// --cluster-enabled yes</c> on free loopback ports, each in its own temp directory without persistence, joined by
/// <c>redis-cli --cluster create</c>. Ready when every node reports <c>cluster_state:ok</c> and knows the others.
/// </summary>
// By hand: the package feed has no Testcontainers (and its Redis module wants a container daemon); the fixture already
// runs redis-server as a child process, and a cluster adds only redis-cli's create step and a readiness poll.
internal static class LocalRedisCluster
{
    private const int Masters = 3;

    // Measured ≈ 2 s from first start to cluster_state:ok on an idle machine; ample margin for a busy 2-core one.
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    public static string ConnectionString(IEnumerable<RedisNode> nodes) =>
        string.Join(',', nodes.Select(n => $"127.0.0.1:{n.Port}")) + ",abortConnect=false";

    public static async Task<IReadOnlyList<RedisNode>> StartAsync()
    {
        var (server, cli) = Tools();
        // The cluster bus port is the data port + 10000 unless given; an OS-chosen port + 10000 can pass 65535 or be
        // taken, so each node gets a second free port as its bus port.
        var ports = ListeningSockets.FreePorts(Masters * 2);
        var nodes = new List<RedisNode>();
        try
        {
            for (var i = 0; i < Masters; i++)
            {
                nodes.Add(StartNode(server, ports[i], ports[Masters + i]));
            }

            await Task.WhenAll(nodes.Select(n => n.Process.WaitUntilListeningAsync(n.Port, $"redis-server (cluster node on {n.Port})", StepTimeout)));
            await CreateAsync(cli, nodes);
            await WaitUntilOkAsync(nodes);
            return nodes;
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            throw;
        }
    }

    private static (string Server, string Cli) Tools()
    {
        var server = Executables.Which("redis-server");
        var cli = Executables.Which("redis-cli");
        if (server is null || cli is null)
        {
            var missing = string.Join(" and ", new[] { ("redis-server", server), ("redis-cli", cli) }.Where(t => t.Item2 is null).Select(t => t.Item1));
            throw new InvalidOperationException(
                $"{RedisTopologySetting.Variable}=cluster needs redis-server and redis-cli 7.0+ on PATH, and {missing} is missing: install them with " +
                "'apt-get install -y redis-server redis-tools' ('./dev.sh test' tries this), or set REDIS_CONNECTION to a running Redis Cluster.");
        }

        return (server, cli);
    }

    private static RedisNode StartNode(string server, int port, int busPort)
    {
        var directory = Directory.CreateTempSubdirectory("serverless-redis-cluster-").FullName;
        try
        {
            var process = ChildProcess.Start(server,
            [
                .. OwnRedisServer.BaseArguments(port, directory),
                "--cluster-enabled", "yes", "--cluster-port", $"{busPort}", "--cluster-config-file", "nodes.conf",
            ], directory);
            return new RedisNode(port, process, directory);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    private static async Task CreateAsync(string cli, IReadOnlyList<RedisNode> nodes)
    {
        await using var create = ChildProcess.Start(cli,
            ["--cluster", "create", .. nodes.Select(n => $"127.0.0.1:{n.Port}"), "--cluster-replicas", "0", "--cluster-yes"]);
        var exitCode = await create.WaitForExitAsync("redis-cli --cluster create", StepTimeout);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli --cluster create exited with code {exitCode}:\n{create.Output}");
        }
    }

    private static async Task WaitUntilOkAsync(IReadOnlyList<RedisNode> nodes)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(ConnectionString(nodes));
        var deadline = DateTime.UtcNow + StepTimeout;
        var infos = new Dictionary<int, string>();
        while (DateTime.UtcNow < deadline)
        {
            foreach (var node in nodes)
            {
                infos[node.Port] = (await redis.GetServer("127.0.0.1", node.Port).ExecuteAsync("CLUSTER", "INFO")).ToString();
            }

            if (infos.Values.All(IsReady))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException(
            $"The local Redis Cluster did not reach cluster_state:ok on every node within {StepTimeout.TotalSeconds:F0} s:\n" +
            string.Join('\n', infos.Select(i => $"127.0.0.1:{i.Key}\n{i.Value}")));
    }

    private static bool IsReady(string clusterInfo) =>
        clusterInfo.Contains("cluster_state:ok", StringComparison.Ordinal)
        && clusterInfo.Contains($"cluster_known_nodes:{Masters}", StringComparison.Ordinal);
}
