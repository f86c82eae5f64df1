using Azure;

namespace Serverless.Core.Records;

/// <summary>A record's row in the table: its version, whether it is a tombstone (versions keep growing across deletes), its JSON.</summary>
internal sealed record StoredRecord(long Version, bool Deleted, ReadOnlyMemory<byte> Data, ETag ETag)
{
    public bool Exists => !Deleted;
}

/// <summary>A version to write to the table.</summary>
internal sealed record RecordWrite(string Key, long Version, bool Deleted, ReadOnlyMemory<byte> Data);
