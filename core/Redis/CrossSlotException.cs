using StackExchange.Redis;

namespace Serverless.Core.Redis;

/// <summary>
/// A script or multi-key command was about to touch keys in more than one Redis Cluster hash slot, which a cluster
/// refuses with CROSSSLOT. Build the keys of one aggregate with <see cref="RedisKeys.Tagged"/> around one tag.
/// </summary>
public sealed class CrossSlotException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public CrossSlotException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CrossSlotException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public CrossSlotException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws when <paramref name="keys"/> do not all map to one hash slot.</summary>
    public static void ThrowIfSpread(string operation, IReadOnlyList<RedisKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count < 2)
        {
            return;
        }

        // Equal hash tags mean one slot without hashing anything: the common case of a well-tagged aggregate.
        var first = (string?)keys[0];
        var tag = ClusterSlot.HashTag(first);
        int? slot = null;
        for (var i = 1; i < keys.Count; i++)
        {
            var key = (string?)keys[i];
            if (ClusterSlot.HashTag(key).SequenceEqual(tag))
            {
                continue;
            }

            slot ??= ClusterSlot.Of(first);
            if (ClusterSlot.Of(key) != slot)
            {
                throw new CrossSlotException(
                    $"{operation} would touch keys in different Redis Cluster hash slots ('{first}' in slot {slot}, '{key}' in slot " +
                    $"{ClusterSlot.Of(key)}); a cluster refuses that with CROSSSLOT. Give the keys of one aggregate one hash tag (RedisKeys.Tagged).");
            }
        }
    }
}
