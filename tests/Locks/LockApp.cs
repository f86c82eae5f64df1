using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Core.Locking;
using Serverless.Core.Storage;
using Serverless.Functions.Locks;
using Serverless.Testing;
using StackExchange.Redis;

namespace Serverless.Tests.Locks;

/// <summary>A lock app instance (see <see cref="TestApp"/>) with its own fenced table.</summary>
internal sealed class LockApp(IHost host, string prefix, string table) : TestApp(host, prefix)
{
    public string TableName { get; } = table;

    public RedisLock Redis => Get<RedisLock>();

    public FencedTable Fenced => Get<FencedTable>();

    /// <summary>Every key of this instance on every primary (a cluster spreads them over several).</summary>
    public async Task<List<string>> KeysOnAllPrimariesAsync()
    {
        var keys = new List<string>();
        foreach (var server in Get<IConnectionMultiplexer>().GetServers().Where(s => !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(pattern: Prefix + "*"))
            {
                keys.Add(key!);
            }
        }

        return keys;
    }

    public LockFunctions Functions => Create<LockFunctions>();

    /// <summary>A raw table client (no fencing) for read-modify-write experiments.</summary>
    public async Task<TableClient> RawTableAsync()
    {
        var table = Get<StorageClients>().Tables.GetTableClient(TableName + "raw");
        await table.CreateIfNotExistsAsync();
        return table;
    }

    /// <summary>Starts an instance; <paramref name="settings"/> adds or overrides app settings (e.g. another Redis).</summary>
    public static async Task<LockApp> StartAsync(
        ServicesFixture services, Action<IServiceCollection>? configure = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var prefix = NewPrefix();
        var table = $"fenced{prefix[1..^1]}";
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Locking:FencedTable"] = table };
        var host = await StartHostAsync(services, prefix, all, configure: configure);
        return new LockApp(host, prefix, table);
    }
}
