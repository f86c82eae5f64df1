using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Serverless.Testing.Durable;

/// <summary>
/// Class fixture base: one app container (<c>AddServerless</c> against the run's Redis and Azurite) and one durable
/// backend on a fresh task hub per test class. Subclass it to register the class's orchestrations, activities and
/// entities, and to add test services that activities get injected.
/// </summary>
public abstract class DurableFixture(ServicesFixture services) : IAsyncLifetime
{
    private IHost? _app;
    private DurableBackend? _backend;

    public DurableBackend Backend => _backend ?? throw new InvalidOperationException("Durable fixture not started.");

    /// <summary>The client of the current worker's hub; after <see cref="RestartWorkerAsync"/> the new one.</summary>
    public DurableTaskClient Client => Backend.Client;

    /// <summary>The app container activities and entities are created from.</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("Durable fixture not started.");

    public async ValueTask InitializeAsync()
    {
        _app = await services.StartAppAsync(configure: ConfigureServices);
        // The app's logging (silent unless ConfigureServices adds a provider) also carries the backend's logs.
        _backend = await DurableBackend.StartAsync(
            services.Azurite.ConnectionString, Register, _app.Services, loggerFactory: _app.Services.GetService<ILoggerFactory>());
    }

    /// <summary>Stops the worker as a crash would, then starts a new service and worker on the same task hub.</summary>
    public async Task RestartWorkerAsync()
    {
        var crashed = Backend;
        _backend = await crashed.RestartAsync();
        await crashed.DisposeAsync();
    }

    public Task<OrchestrationMetadata> WaitForCompletionAsync(string instanceId, TimeSpan timeout) =>
        Client.WaitForCompletionAsync(instanceId, timeout, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        if (_app is not null)
        {
            await _app.StopAsync();
            _app.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    protected abstract void Register(DurableTaskRegistry registry);

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }
}
