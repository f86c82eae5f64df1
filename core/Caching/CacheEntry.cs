namespace Serverless.Core.Caching;

/// <summary>What a cache holds for one key: a value, a known absence, or a marker that the value changed.</summary>
public enum CacheEntryState
{
    /// <summary>The value at <see cref="CacheEntry.Version"/>.</summary>
    Present,

    /// <summary>The key is known not to exist (deleted, or never written) at <see cref="CacheEntry.Version"/>.</summary>
    Absent,

    /// <summary>
    /// "Invalidated at version": the value changed to <see cref="CacheEntry.Version"/> (or is about to), so a reader
    /// must go to the source, and a fill of any older version is refused. Never held in L1.
    /// </summary>
    Invalidated,
}

/// <summary>One versioned cache entry; versions only grow, so a higher version is always the newer value.</summary>
/// <param name="Version">The record version this entry describes.</param>
/// <param name="State">Value, absence or invalidation marker.</param>
/// <param name="Data">The value's bytes when <see cref="CacheEntryState.Present"/>, else empty.</param>
public sealed record CacheEntry(long Version, CacheEntryState State, ReadOnlyMemory<byte> Data)
{
    /// <summary>Whether this entry answers a read by itself (a marker sends the reader to the source).</summary>
    public bool Answers => State != CacheEntryState.Invalidated;

    internal string StateCode => State switch
    {
        CacheEntryState.Present => "p",
        CacheEntryState.Absent => "x",
        _ => "i",
    };

    internal static CacheEntryState Parse(string? code) => code switch
    {
        "p" => CacheEntryState.Present,
        "x" => CacheEntryState.Absent,
        "i" => CacheEntryState.Invalidated,
        _ => throw new InvalidOperationException($"Unknown cache entry state '{code}'."),
    };
}
