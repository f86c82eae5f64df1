using DurableTask.Core;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using CoreTaskActivity = DurableTask.Core.TaskActivity;

namespace Serverless.Testing.Durable;

/// <summary>
/// Activities for the core activity dispatcher, looked up by name when a task message arrives: a fresh SDK activity
/// per call, created from the app container, so activities get constructor injection as in the Functions host.
/// (The registry keeps its names internal, so <see cref="ObjectCreator{T}"/>s cannot be registered up front.)
/// </summary>
internal sealed class ActivityShimCatalog(IDurableTaskFactory factory, DurableTaskShimFactory shims, IServiceProvider services)
    : INameVersionObjectManager<CoreTaskActivity>
{
    public void Add(ObjectCreator<CoreTaskActivity> creator) =>
        throw new NotSupportedException("Register activities on the DurableTaskRegistry passed to DurableBackend.StartAsync.");

    // Null makes the core dispatcher report "TaskActivity ... was not found", like an unregistered activity in the host.
    public CoreTaskActivity? GetObject(string name, string? version) =>
        factory.TryCreateActivity(name, services, out var activity) ? shims.CreateActivity(name, activity) : null;
}
