namespace Serverless.Core.Records;

/// <summary>How a record operation ended.</summary>
public enum RecordStatus
{
    /// <summary>Read or written.</summary>
    Ok,

    /// <summary>Written, and the record did not exist before.</summary>
    Created,

    /// <summary>No such record (never written, or deleted).</summary>
    NotFound,

    /// <summary>No collection of that name is configured.</summary>
    UnknownCollection,

    /// <summary>The record's version is not the one the precondition named.</summary>
    PreconditionFailed,
}

/// <summary>Which layer answered a read.</summary>
public enum CacheLayer
{
    /// <summary>This instance's memory.</summary>
    L1,

    /// <summary>Redis.</summary>
    L2,

    /// <summary>The table (a cache miss).</summary>
    Table,
}

/// <summary>The outcome of a record read or write.</summary>
/// <param name="Status">How it ended.</param>
/// <param name="Version">The record's version read or written (the current one on a failed precondition); 0 when it never existed.</param>
/// <param name="Data">The record's JSON on a read.</param>
/// <param name="Layer">Which layer answered a read; <see cref="CacheLayer.Table"/> for writes.</param>
public sealed record RecordResult(RecordStatus Status, long Version, ReadOnlyMemory<byte> Data, CacheLayer Layer)
{
    internal static RecordResult Of(RecordStatus status, long version = 0, CacheLayer layer = CacheLayer.Table) => new(status, version, ReadOnlyMemory<byte>.Empty, layer);
}

/// <summary>What a write requires of the record's current version (<c>If-Match</c>).</summary>
/// <param name="AnyExisting">The record must exist (<c>If-Match: *</c>).</param>
/// <param name="Version">The record must exist at exactly this version (<c>If-Match: "N"</c>).</param>
public readonly record struct RecordPrecondition(bool AnyExisting, long? Version)
{
    /// <summary>No requirement.</summary>
    public static RecordPrecondition None => default;

    /// <summary>Whether a record at <paramref name="current"/> (existing or not) meets it.</summary>
    public bool IsMetBy(long current, bool exists) => (!AnyExisting && Version is null) || (exists && (Version is null || Version == current));

    internal string Lua => Version is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : AnyExisting ? "*" : "";
}
