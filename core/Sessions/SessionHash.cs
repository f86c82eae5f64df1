using System.Buffers;
using System.Text.Json;
using StackExchange.Redis;

namespace Serverless.Core.Sessions;

/// <summary>
/// Reads a session's hash (<c>m:*</c> metadata, <c>a:*</c> attributes) as HGETALL returns it. Every read of a whole
/// session passes here, so it works on the reply's bytes: metadata numbers are parsed in place and all attributes
/// become one JSON document with a single parse (their names are validated to JSON-safe characters, so the raw
/// values can be joined as they are), instead of a string per field and a document per value.
/// </summary>
internal static class SessionHash
{
    public const string AttributePrefix = "a:";

    /// <summary>The metadata fields of a session hash.</summary>
    public readonly record struct Metadata(long Created, long Last, RedisValue Principal, long Version, long Deadline);

    /// <summary>False when the hash lacks a deadline (not a session this store wrote).</summary>
    public static bool TryReadMetadata(HashEntry[] hash, out Metadata metadata)
    {
        ArgumentNullException.ThrowIfNull(hash);
        long created = 0, last = 0, version = 0, deadline = 0;
        var principal = RedisValue.Null;
        var found = false;
        foreach (var entry in hash)
        {
            var name = ((ReadOnlyMemory<byte>)entry.Name).Span;
            if (name is not [(byte)'m', (byte)':', ..])
            {
                continue;
            }

            switch (name[2..])
            {
                case var n when n.SequenceEqual("created"u8): entry.Value.TryParse(out created); break;
                case var n when n.SequenceEqual("last"u8): entry.Value.TryParse(out last); break;
                case var n when n.SequenceEqual("principal"u8): principal = entry.Value; break;
                case var n when n.SequenceEqual("version"u8): entry.Value.TryParse(out version); break;
                case var n when n.SequenceEqual("deadline"u8): found = entry.Value.TryParse(out deadline); break;
                default: break;
            }
        }

        metadata = new Metadata(created, last, principal, version, deadline);
        return found;
    }

    /// <summary>The attributes, by name without the <c>a:</c> prefix.</summary>
    public static Dictionary<string, JsonElement> Attributes(HashEntry[] hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var count = 0;
        var length = 2;
        foreach (var entry in hash)
        {
            if (IsAttribute(entry))
            {
                count++;
                length += ((ReadOnlyMemory<byte>)entry.Name).Length + ((ReadOnlyMemory<byte>)entry.Value).Length + 2;
            }
        }

        var attributes = new Dictionary<string, JsonElement>(count, StringComparer.Ordinal);
        if (count == 0)
        {
            return attributes;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var at = 0;
            buffer[at++] = (byte)'{';
            foreach (var entry in hash)
            {
                if (!IsAttribute(entry))
                {
                    continue;
                }

                if (at > 1)
                {
                    buffer[at++] = (byte)',';
                }

                buffer[at++] = (byte)'"';
                at += Copy(((ReadOnlyMemory<byte>)entry.Name).Span[AttributePrefix.Length..], buffer, at);
                buffer[at++] = (byte)'"';
                buffer[at++] = (byte)':';
                at += Copy(((ReadOnlyMemory<byte>)entry.Value).Span, buffer, at);
            }

            buffer[at++] = (byte)'}';

            // ParseValue copies what it parses into a document of its own (nothing to dispose), so the buffer goes back.
            var reader = new Utf8JsonReader(buffer.AsSpan(0, at));
            foreach (var property in JsonElement.ParseValue(ref reader).EnumerateObject())
            {
                attributes[property.Name] = property.Value;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return attributes;
    }

    /// <summary>A script's HGETALL reply (alternating field and value) as hash entries.</summary>
    public static HashEntry[] FromReply(RedisResult[] pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var hash = new HashEntry[pairs.Length / 2];
        for (var i = 0; i < hash.Length; i++)
        {
            hash[i] = new HashEntry((RedisValue)pairs[2 * i], (RedisValue)pairs[(2 * i) + 1]);
        }

        return hash;
    }

    private static bool IsAttribute(HashEntry entry) => ((ReadOnlyMemory<byte>)entry.Name).Span is [(byte)'a', (byte)':', ..];

    private static int Copy(ReadOnlySpan<byte> source, byte[] destination, int at)
    {
        source.CopyTo(destination.AsSpan(at));
        return source.Length;
    }
}
