namespace Serverless.Core.Sessions;

/// <summary>
/// The points between the single-slot steps of an operation that spans a session and its principal's index. A
/// process may die at any of them; tests stop an operation there and check that nothing usable escapes revocation.
/// </summary>
internal static class SessionSteps
{
    /// <summary>Create: the session is written, the index does not list it yet (its id was never handed out).</summary>
    public const string CreateWritten = "create:session-written";

    /// <summary>Create or revoke: the index moved handles to <c>revoking</c>; their sessions are not deleted yet.</summary>
    public const string Claimed = "index:handles-claimed";

    /// <summary>Create or revoke: the claimed sessions are deleted; <c>revoking</c> still lists them.</summary>
    public const string Ended = "index:sessions-ended";

    /// <summary>Rotate: the old session is deleted, the new one is not written yet.</summary>
    public const string RotateRetired = "rotate:old-retired";

    /// <summary>Rotate: the new session is written, the index still lists the old handle.</summary>
    public const string RotateAdopted = "rotate:new-written";

    /// <summary>Delete: the session is gone, the index still lists it.</summary>
    public const string DeleteEnded = "delete:session-ended";
}
