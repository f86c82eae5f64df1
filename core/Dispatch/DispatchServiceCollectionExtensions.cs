using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serverless.Core.Dispatch;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of weighted dispatch.</summary>
public static class DispatchServiceCollectionExtensions
{
    /// <summary>Adds the dispatch store, forwarder, queue dispatcher and probe with <see cref="DispatchOptions"/> from <c>Dispatch</c>.</summary>
    public static IServiceCollection AddServerlessDispatch(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DispatchOptions>()
            .Bind(configuration.GetSection(DispatchOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<TargetAllowlist>();
        services.TryAddSingleton<DispatchStore>();
        services.TryAddSingleton<TargetSender>();
        services.TryAddSingleton<DispatchForwarder>();
        services.AddMessageHandler<QueueDispatcher, DispatchMessage>();
        services.TryAddSingleton<DispatchProbe>();
        services.AddHttpClient(TargetSender.ClientName)
            .ConfigureHttpClient((sp, client) =>
            {
                // The per-attempt timeout is ours (linked token), so the client's own must not cut in first.
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.MaxResponseContentBufferSize = sp.GetRequiredService<IOptions<DispatchOptions>>().Value.MaxResponseBytes;
            })
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                // Every resolved address is checked where the socket opens, so a name that passed the allowlist
                // cannot be re-pointed at an internal address later (DNS rebinding); a proxy would bypass that check.
                ConnectCallback = GuardedConnect.For(sp.GetRequiredService<TargetAllowlist>()),
                UseProxy = false,
                // A proxy relays redirects and cookies to its caller; it does not follow or keep them.
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            });
        return services;
    }
}
