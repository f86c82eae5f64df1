using Serverless.Core.Redis;
using StackExchange.Redis;

namespace Serverless.Core.Records;

/// <summary>
/// Redis keys of records. A write-behind write sets the entry and appends to its collection's dirty log in one script,
/// so every key of a write-behind collection shares the collection's hash slot (one Redis Cluster shard carries that
/// collection); entries of the other policies are tagged per record and spread over the cluster.
/// </summary>
internal sealed class RecordKeys(RedisKeys keys)
{
    private const string Feature = "records";

    public RedisKey Entry(RecordCollection collection, string key) => collection.Policy == WritePolicy.WriteBehind
        ? keys.Tagged(Feature, collection.Name, "e", key)
        : keys.Tagged(Feature, collection.Name + "/" + key, "e");

    public RedisKey Log(RecordCollection collection) => keys.Tagged(Feature, collection.Name, "log");
}
