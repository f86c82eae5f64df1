using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Serverless.Testing.Durable;

/// <summary>
/// A worker that never runs: the SDK only hands out the factory built from a <see cref="DurableTaskRegistry"/>
/// (<c>BuildFactory</c> is internal) to the worker build target, so this target exists to expose it.
/// </summary>
public sealed class TaskFactoryBuildTarget(string name, IDurableTaskFactory factory) : DurableTaskWorker(name, factory)
{
    public IDurableTaskFactory2 TaskFactory => Factory as IDurableTaskFactory2
        ?? throw new InvalidOperationException($"{Factory.GetType()} cannot create entities.");

    /// <summary>Builds the factory for <paramref name="register"/> the public way: through the worker builder.</summary>
    public static IDurableTaskFactory2 BuildFactory(Action<DurableTaskRegistry> register)
    {
        ArgumentNullException.ThrowIfNull(register);
        var services = new ServiceCollection();
        services.AddDurableTaskWorker(builder =>
        {
            builder.AddTasks(register);
            builder.UseBuildTarget<TaskFactoryBuildTarget>();
        });

        // The provider only builds the registry; task instances get their dependencies from the caller's provider.
        using var provider = services.BuildServiceProvider();
        return provider.GetServices<IHostedService>().OfType<TaskFactoryBuildTarget>().Single().TaskFactory;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
}
