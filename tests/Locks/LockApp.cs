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

    public LockFunctions Functions => Create<LockFunctions>();

    /// <summary>A raw table client (no fencing) for read-modify-write experiments.</summary>
    public async Task<TableClient> RawTableAsync()
    {
        var table = Get<StorageClients>().Tables.GetTableClient(TableName + "raw");
        await table.CreateIfNotExistsAsync();
        return table;
    }

    public static async Task<LockApp> StartAsync(ServicesFixture services, Action<IServiceCollection>? configure = null)
    {
        var prefix = NewPrefix();
        var table = $"fenced{prefix[1..^1]}";
        var host = await StartHostAsync(services, prefix, new() { ["Locking:FencedTable"] = table }, configure: configure);
        return new LockApp(host, prefix, table);
    }
}
