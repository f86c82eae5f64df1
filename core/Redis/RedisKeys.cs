using Microsoft.Extensions.Options;
using Serverless.Core.Hosting;
using StackExchange.Redis;

namespace Serverless.Core.Redis;

/// <summary>Builds Redis keys under the configured prefix, so every feature's keys share one namespace.</summary>
public sealed class RedisKeys(IOptions<RedisOptions> options)
{
    private readonly string _prefix = options.Value.KeyPrefix;

    /// <summary>The key <c>{prefix}{feature}:{parts joined by ':'}</c>.</summary>
    public RedisKey For(string feature, params ReadOnlySpan<string> parts) =>
        _prefix + feature + ":" + string.Join(':', parts);

    /// <summary>The configured prefix.</summary>
    public string Prefix => _prefix;
}
