using DurableTask.Core;

namespace Serverless.Testing.Durable;

/// <summary>
/// Orchestrations and entities run through dispatcher middleware (which needs the parent instance / entity id that
/// a name lookup cannot give), so the core name lookup is always empty.
/// </summary>
internal sealed class UnusedObjectManager<T> : INameVersionObjectManager<T>
    where T : class
{
    public void Add(ObjectCreator<T> creator) =>
        throw new NotSupportedException("Register tasks on the DurableTaskRegistry passed to DurableBackend.StartAsync.");

    public T? GetObject(string name, string? version) => null;
}
