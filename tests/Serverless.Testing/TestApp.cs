using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Serverless.Testing;

/// <summary>
/// An app instance built by <c>AddServerless</c> over its own Redis key prefix, so tests running in parallel never see
/// each other's keys. Two instances given the same prefix behave like two Functions instances of one app.
/// </summary>
public abstract class TestApp(IHost host, string prefix) : IDisposable
{
    public string Prefix { get; } = prefix;

    public IServiceProvider Services => host.Services;

    public IDatabase Database => Get<IConnectionMultiplexer>().GetDatabase();

    public static string NewPrefix() => $"t{Guid.NewGuid():N}"[..12] + ":";

    public T Get<T>() where T : notnull => host.Services.GetRequiredService<T>();

    /// <summary>A function class with its dependencies from this app, as the Functions runtime would build it.</summary>
    public T Create<T>() => ActivatorUtilities.CreateInstance<T>(host.Services);

    /// <summary>Every key under this app's prefix, from every primary (a cluster spreads them over its nodes).</summary>
    public Task<List<string>> KeysAsync() => Get<IConnectionMultiplexer>().KeysOnEveryPrimaryAsync(Prefix + "*");

    public void Dispose() => host.Dispose();

    protected static Task<IHost> StartHostAsync(
        ServicesFixture services, string prefix, Dictionary<string, string?>? settings, TimeProvider? time = null, Action<IServiceCollection>? configure = null) =>
        services.StartAppAsync(new Dictionary<string, string?>(settings ?? []) { ["Redis:KeyPrefix"] = prefix }, s =>
        {
            if (time is not null)
            {
                s.AddSingleton(time);
            }

            configure?.Invoke(s);
        });
}
