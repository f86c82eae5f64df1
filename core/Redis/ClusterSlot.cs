using System.Text;
using StackExchange.Redis;

namespace Serverless.Core.Redis;

/// <summary>
/// The Redis Cluster hash slot of a key: CRC16 (XMODEM) of its hash tag, or of the whole key without one, mod 16384.
/// Written here because StackExchange.Redis only computes slots while connected to a cluster
/// (<see cref="IConnectionMultiplexer.HashSlot"/> answers -1 on a single server), and the point is to catch keys that
/// would fail with CROSSSLOT while the tests run against a single server.
/// </summary>
public static class ClusterSlot
{
    /// <summary>Number of hash slots in a Redis Cluster.</summary>
    public const int Count = 16384;

    private static readonly ushort[] Table = BuildTable();

    /// <summary>The slot of <paramref name="key"/>.</summary>
    public static int Of(RedisKey key) => Of(((string?)key).AsSpan());

    /// <summary>The slot of a key given as text (hashed as its UTF-8 bytes, as Redis receives it).</summary>
    public static int Of(ReadOnlySpan<char> key)
    {
        // '{' and '}' never occur inside a multi-byte UTF-8 sequence, so finding the tag in chars finds it in bytes.
        var tag = HashTag(key);
        var length = Encoding.UTF8.GetByteCount(tag);
        Span<byte> bytes = length <= 512 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(tag, bytes);
        return Crc16(bytes) % Count;
    }

    /// <summary>
    /// What Redis hashes: the text between the first '{' and the next '}' when that is non-empty, else the whole key.
    /// Keys with equal hash tags are in one slot whatever the rest of the key is.
    /// </summary>
    public static ReadOnlySpan<char> HashTag(ReadOnlySpan<char> key)
    {
        var open = key.IndexOf('{');
        if (open < 0)
        {
            return key;
        }

        var length = key[(open + 1)..].IndexOf('}');
        return length > 0 ? key.Slice(open + 1, length) : key;
    }

    private static int Crc16(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        foreach (var b in data)
        {
            crc = (ushort)((crc << 8) ^ Table[((crc >> 8) ^ b) & 0xFF]);
        }

        return crc;
    }

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (var i = 0; i < table.Length; i++)
        {
            var crc = (ushort)(i << 8);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }

            table[i] = crc;
        }

        return table;
    }
}
