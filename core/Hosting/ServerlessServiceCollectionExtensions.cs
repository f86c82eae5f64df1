using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serverless.Core.Health;
using Serverless.Core.Hosting;
using Serverless.Core.Redis;
using Serverless.Core.Storage;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The one composition root shared by the Functions app, the tests and the benchmarks.</summary>
public static class ServerlessServiceCollectionExtensions
{
    /// <summary>
    /// Registers every Serverless building block with options bound from <paramref name="configuration"/> and
    /// validated when the host starts (a missing setting is a start-up error that names it).
    /// </summary>
    public static IServiceCollection AddServerless(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<RedisOptions>()
            .Bind(configuration.GetSection(RedisOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<StorageOptions>()
            .Configure(o => BindStorage(o, configuration))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<StorageRetryOptions>()
            .Bind(configuration.GetSection(StorageRetryOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<HistoryOptions>()
            .Bind(configuration.GetSection(HistoryOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton<IConnectionMultiplexer>(sp => ConnectRedis(sp.GetRequiredService<IOptions<RedisOptions>>().Value));
        services.TryAddSingleton<RedisKeys>();
        services.TryAddSingleton(sp => new StorageClients(
            sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<IOptions<StorageRetryOptions>>().Value));

        // A backstop for a probe that hangs: a Redis PING already fails within Redis:OperationTimeout (see ConnectRedis).
        var probeTimeout = TimeSpan.FromSeconds(5);
        services.AddHealthChecks()
            .AddCheck<RedisHealthCheck>("redis", timeout: probeTimeout)
            .Add(StorageCheck("storage-blobs", StorageService.Blobs, probeTimeout))
            .Add(StorageCheck("storage-queues", StorageService.Queues, probeTimeout))
            .Add(StorageCheck("storage-tables", StorageService.Tables, probeTimeout));

        services.AddServerlessMessaging(configuration);
        services.AddServerlessSessions(configuration);
        services.AddServerlessSearch(configuration);
        services.AddServerlessDispatch(configuration);
        services.AddServerlessLocking(configuration);
        services.AddServerlessTransactions(configuration);
        services.AddServerlessOperability();
        services.AddServerlessRecords(configuration);
        services.AddServerlessPublishing(configuration);
        services.AddServerlessJobs(configuration);
        return services;
    }

    private static Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration StorageCheck(string name, StorageService service, TimeSpan timeout) =>
        new(name, sp => new StorageHealthCheck(sp.GetRequiredService<StorageClients>(), service), failureStatus: null, tags: null, timeout);

    // AzureWebJobsStorage is either a plain connection string or a section (accountName, clientId) for managed identity.
    private static void BindStorage(StorageOptions options, IConfiguration configuration)
    {
        var section = configuration.GetSection(StorageOptions.Section);
        options.ConnectionString = section.Value ?? section["ConnectionString"];
        options.AccountName = section["accountName"];
        options.ClientId = section["clientId"];
    }

    private static ConnectionMultiplexer ConnectRedis(RedisOptions options)
    {
        var config = ConfigurationOptions.Parse(options.ConnectionString);
        // Keep retrying in the background instead of failing the whole app when Redis blips at start-up.
        config.AbortOnConnectFail = false;
        AnswerOutagesFast(config, options);
        RedisEntraAuthentication.Configure(config, options);
        return ConnectionMultiplexer.Connect(config);
    }

    // With the defaults a request stalled 5 s while Redis was down and then failed: a command waited in the backlog
    // for a connection until its timeout. These make an outage cost a request at most the operation timeout.
    private static void AnswerOutagesFast(ConfigurationOptions config, RedisOptions options)
    {
        // Fail a command at once while no connection is up, and the commands in flight when the connection drops.
        config.BacklogPolicy = BacklogPolicy.FailFast;
        // A server that is connected but does not answer (frozen, network black hole) costs a request this much.
        config.SyncTimeout = config.AsyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        // Timeouts are checked on each heartbeat (default every 1 s), which made a 1 s timeout fire after up to 2 s.
        config.HeartbeatInterval = TimeSpan.FromMilliseconds(250);
        // A connect (TCP, TLS, AUTH) may take longer than a command on a cold or busy instance. No request waits for
        // it (FailFast); only host start-up does, when the first service resolves this connection.
        config.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        // Reconnect soon after Redis returns: the default backoff starts at half the connect timeout and grows to 10 s.
        config.ReconnectRetryPolicy = new ExponentialRetry(1_000, (int)RedisOutage.RetryAfter.TotalMilliseconds);
    }
}
