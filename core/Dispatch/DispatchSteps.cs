namespace Serverless.Core.Dispatch;

/// <summary>
/// The points between the single-slot steps of saving and deleting a pool (pool and pool index are separate
/// aggregates). A process may die at any of them; tests stop an operation there and check the index invariant.
/// </summary>
internal static class DispatchSteps
{
    /// <summary>Save: the index lists the pool under the new generation; the pool is not written yet.</summary>
    public const string SaveListed = "save:listed";

    /// <summary>Delete: the pool and its state are gone; the index still lists it.</summary>
    public const string DeleteRemoved = "delete:pool-removed";
}
