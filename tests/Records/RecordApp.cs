using Microsoft.Extensions.DependencyInjection;
using Serverless.Core.Records;
using Serverless.Functions.Records;
using Serverless.Testing;

namespace Serverless.Tests.Records;

/// <summary>An app instance with one collection per write policy, over a table of its own (two instances share it when given the same world).</summary>
internal sealed class RecordApp(Microsoft.Extensions.Hosting.IHost host, string prefix) : TestApp(host, prefix)
{
    public RecordStore Store => Get<RecordStore>();

    public RecordFunctions Functions => Create<RecordFunctions>();

    public RecordFaults Faults => Get<RecordFaults>();

    public WriteBehindFlusher Flusher => Get<WriteBehindFlusher>();

    /// <summary>The collection that uses <paramref name="policy"/> in every <see cref="RecordWorld"/>.</summary>
    public static string CollectionOf(WritePolicy policy) => policy.Name();

    public static Task<RecordApp> StartAsync(ServicesFixture services) => new RecordWorld(services).StartAsync();
}

/// <summary>The shared state of app instances that act as one app: Redis prefix, table, settings.</summary>
internal sealed class RecordWorld(ServicesFixture services, string? redis = null, Dictionary<string, string?>? settings = null)
{
    public string Prefix { get; } = TestApp.NewPrefix();

    public string Table { get; } = $"rec{Guid.NewGuid():N}"[..20];

    public async Task<RecordApp> StartAsync(Action<IServiceCollection>? configure = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Redis:KeyPrefix"] = Prefix,
            ["Records:Table"] = Table,
            ["Records:FlushInterval"] = "00:00:00.050",
            ["Records:ClaimAfter"] = "00:00:01",
        };
        foreach (var policy in Enum.GetValues<WritePolicy>())
        {
            all[$"Records:Collections:{policy.Name()}:Policy"] = policy.Name();
        }

        if (redis is not null)
        {
            all["Redis:ConnectionString"] = redis;
        }

        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        return new RecordApp(await services.StartAppAsync(all, configure), Prefix);
    }
}
