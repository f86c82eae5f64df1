namespace Serverless.Core.Dispatch.Hashing;

/// <summary>Why a hashing pool sent a request where it did.</summary>
/// <param name="Reason"><see cref="Hash"/>, <see cref="BoundedLoadSpill"/> or <see cref="EjectedSpill"/>.</param>
/// <param name="KeyHash">XxHash64 of the request's key.</param>
public sealed record HashRoute(string Reason, ulong KeyHash)
{
    /// <summary>The key's first choice.</summary>
    public const string Hash = "hash";

    /// <summary>An earlier choice was at its bounded-load cap.</summary>
    public const string BoundedLoadSpill = "bounded-load-spill";

    /// <summary>Earlier choices were unavailable: ejected, ramping to zero, or the target this request just failed on.</summary>
    public const string EjectedSpill = "ejected-spill";

    /// <summary>Request header asking for <see cref="KeyHashHeader"/> (value <c>hash</c>).</summary>
    public const string DebugHeader = "X-Dispatch-Debug";

    /// <summary>Response header with the key's hash (16 hex digits), sent when the request asks with <see cref="DebugHeader"/>.</summary>
    public const string KeyHashHeader = "X-Dispatch-Key-Hash";
}
