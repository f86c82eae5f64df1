using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Core.Locking;
using Serverless.Core.Storage;
using Serverless.Functions.Locks;
using Serverless.Tests.Infrastructure;
using StackExchange.Redis;

namespace Serverless.Tests.Locks;

/// <summary>An app instance with its own Redis key prefix and fenced table, so lock tests never see each other.</summary>
internal sealed class LockApp : IDisposable
{
    private readonly IHost _host;

    private LockApp(IHost host, string prefix, string table)
    {
        _host = host;
        Prefix = prefix;
        TableName = table;
    }

    public string Prefix { get; }

    public string TableName { get; }

    public IServiceProvider Services => _host.Services;

    public RedisLock Redis => _host.Services.GetRequiredService<RedisLock>();

    public FencedTable Fenced => _host.Services.GetRequiredService<FencedTable>();

    public IDatabase Database => _host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    public LockFunctions Functions => ActivatorUtilities.CreateInstance<LockFunctions>(_host.Services);

    /// <summary>A raw table client (no fencing) for read-modify-write experiments.</summary>
    public async Task<TableClient> RawTableAsync()
    {
        var table = _host.Services.GetRequiredService<StorageClients>().Tables.GetTableClient(TableName + "raw");
        await table.CreateIfNotExistsAsync();
        return table;
    }

    public static async Task<LockApp> StartAsync(ServicesFixture services, Action<IServiceCollection>? configure = null)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var prefix = $"t{id}:";
        var table = $"fenced{id}";
        var host = await services.StartAppAsync(
            new Dictionary<string, string?> { ["Redis:KeyPrefix"] = prefix, ["Locking:FencedTable"] = table }, configure);
        return new LockApp(host, prefix, table);
    }

    public void Dispose() => _host.Dispose();
}
