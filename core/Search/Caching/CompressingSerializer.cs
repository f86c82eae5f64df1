using K4os.Compression.LZ4;
using ZiggyCreatures.Caching.Fusion.Serialization;

namespace Serverless.Core.Search.Caching;

/// <summary>
/// JSON for the cache's Redis layer, LZ4-compressed above a size threshold (a page of hits is several KiB of
/// repetitive JSON). One marker byte tells the two apart. FusionCache has serializers but no compression hook.
/// The last payload read is remembered by identity: concurrent readers of one key share one Redis reply
/// (<see cref="CoalescingDistributedCache"/>), and so they share one deserialized entry too, as L1 hits share one.
/// </summary>
internal sealed class CompressingSerializer(IFusionCacheSerializer inner, int thresholdBytes) : IFusionCacheSerializer
{
    private const byte Plain = 0;
    private const byte Lz4 = 1;

    public byte[] Serialize<T>(T? obj)
    {
        var raw = inner.Serialize(obj);
        if (raw.Length <= thresholdBytes)
        {
            return [Plain, .. raw];
        }

        return [Lz4, .. LZ4Pickler.Pickle(raw, LZ4Level.L00_FAST)];
    }

    private Decoded? _last;

    public T? Deserialize<T>(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (Volatile.Read(ref _last) is { } last && ReferenceEquals(last.Data, data) && last.Value is T same)
        {
            return same;
        }

        var value = data[0] switch
        {
            Plain => inner.Deserialize<T>(data[1..]),
            Lz4 => inner.Deserialize<T>(LZ4Pickler.Unpickle(data.AsSpan(1))),
            _ => throw new InvalidDataException($"Unknown cache payload marker {data[0]}."),
        };
        Volatile.Write(ref _last, new Decoded(data, value));
        return value;
    }

    private sealed record Decoded(byte[] Data, object? Value);

    public ValueTask<byte[]> SerializeAsync<T>(T? obj, CancellationToken token = default) => ValueTask.FromResult(Serialize(obj));

    public ValueTask<T?> DeserializeAsync<T>(byte[] data, CancellationToken token = default) => ValueTask.FromResult(Deserialize<T>(data));
}
