using System.Buffers.Text;
using System.Security.Cryptography;

namespace Serverless.Core.Sessions;

/// <summary>
/// Session ids: 256 random bits as base64url. Redis keys hold only a SHA-256 of the id, so reading keys
/// (a SCAN, a backup, a replica) yields nothing that can be presented as a session.
/// </summary>
public static class SessionId
{
    /// <summary>Length of an id in characters.</summary>
    public const int Length = 43;

    /// <summary>A fresh id.</summary>
    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>True when <paramref name="id"/> has the shape of an id this app issued.</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: Length } && !id.AsSpan().ContainsAnyExcept(IdCharacters) && Base64Url.IsValid(id);

    /// <summary>The non-reversible handle that names the session in Redis.</summary>
    /// <remarks>Computed on every request: only the hex string is allocated.</remarks>
    public static string Handle(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length > Length)
        {
            return Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(id)));
        }

        Span<byte> ascii = stackalloc byte[Length];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var written = System.Text.Encoding.ASCII.GetBytes(id, ascii);
        SHA256.HashData(ascii[..written], hash);
        return Convert.ToHexStringLower(hash);
    }

    private static readonly System.Buffers.SearchValues<char> IdCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
}
