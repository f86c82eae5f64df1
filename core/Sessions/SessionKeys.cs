using Serverless.Core.Redis;
using StackExchange.Redis;

namespace Serverless.Core.Sessions;

/// <summary>
/// Session keys: each session is an aggregate of its own, tagged by its handle (<c>sess:{handle}</c>), and each
/// principal's index is another, tagged by the principal (<c>sessp:{principal}:live</c> and <c>:revoking</c>).
/// </summary>
internal sealed class SessionKeys(RedisKeys keys)
{
    public RedisKey Session(string handle) => keys.Tagged("sess", handle);

    public RedisKey Live(string principal) => keys.Tagged("sessp", principal, "live");

    public RedisKey Revoking(string principal) => keys.Tagged("sessp", principal, "revoking");
}
