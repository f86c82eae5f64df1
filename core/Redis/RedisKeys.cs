using System.Text;
using Microsoft.Extensions.Options;
using Serverless.Core.Hosting;
using StackExchange.Redis;

namespace Serverless.Core.Redis;

/// <summary>
/// Builds every Redis key of the app under the configured prefix. Keys that one script or transaction touches
/// together are built with <see cref="Tagged"/> around one tag per aggregate, so a Redis Cluster keeps them in one
/// hash slot (a script whose keys span slots fails there with CROSSSLOT).
/// </summary>
public sealed class RedisKeys(IOptions<RedisOptions> options)
{
    private readonly string _prefix = options.Value.KeyPrefix;

    /// <summary>The key <c>{prefix}{feature}:{parts joined by ':'}</c>, for an aggregate of one key.</summary>
    public RedisKey For(string feature, params ReadOnlySpan<string> parts) =>
        _prefix + feature + ":" + string.Join(':', parts);

    /// <summary>
    /// The key <c>{prefix}{feature}:{&lt;tag&gt;}:{parts joined by ':'}</c> (or <c>…:{&lt;tag&gt;}</c> without parts):
    /// every key built with the same feature and tag lands in the same cluster hash slot.
    /// </summary>
    public RedisKey Tagged(string feature, string tag, params ReadOnlySpan<string> parts)
    {
        var key = new StringBuilder(_prefix.Length + feature.Length + tag.Length + 16)
            .Append(_prefix).Append(feature).Append(":{").Append(EscapeTag(tag)).Append('}');
        foreach (var part in parts)
        {
            key.Append(':').Append(part);
        }

        return key.ToString();
    }

    /// <summary>
    /// <c>{prefix}{feature}</c>, for a library that builds its own keys below it (each of its commands touches one key).
    /// </summary>
    public string Namespace(string feature) => _prefix + feature;

    /// <summary>The configured prefix.</summary>
    public string Prefix => _prefix;

    // Redis hashes what lies between the first '{' and the next '}', and the whole key when that is empty. A tag taken
    // from user input (a principal name) could hold braces and so move or empty the hash tag: escaping them (and '%',
    // so the escape is one-to-one) keeps one tag text per aggregate and one slot per tag. The prefix is validated to
    // hold no braces, so the tag's '{' is always the first one.
    private static string EscapeTag(string tag)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        return tag.AsSpan().IndexOfAny('{', '}', '%') < 0
            ? tag
            : tag.Replace("%", "%25", StringComparison.Ordinal).Replace("{", "%7B", StringComparison.Ordinal).Replace("}", "%7D", StringComparison.Ordinal);
    }
}
