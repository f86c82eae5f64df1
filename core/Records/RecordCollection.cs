using Microsoft.Extensions.Options;
using Serverless.Core.Caching;

namespace Serverless.Core.Records;

/// <summary>One configured collection with its L1.</summary>
public sealed class RecordCollection
{
    internal RecordCollection(string name, CollectionOptions options)
    {
        Name = name;
        Options = options;
        Policy = options.ParsedPolicy;
        L1 = new BoundedL1(options.L1Size, options.ParsedEviction, options.L1Ttl);
    }

    /// <summary>The collection name (the table partition).</summary>
    public string Name { get; }

    /// <summary>Its settings.</summary>
    public CollectionOptions Options { get; }

    /// <summary>Its write policy.</summary>
    public WritePolicy Policy { get; }

    /// <summary>This instance's L1 for it.</summary>
    public BoundedL1 L1 { get; }
}

/// <summary>The configured collections, each with its L1 registered on the backplane.</summary>
public sealed class RecordCollections
{
    private readonly Dictionary<string, RecordCollection> _byName;

    /// <summary>Builds every collection of <see cref="RecordsOptions.Collections"/>.</summary>
    public RecordCollections(IOptions<RecordsOptions> options, InvalidationBackplane backplane)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(backplane);
        _byName = options.Value.Collections.ToDictionary(c => c.Key, c => new RecordCollection(c.Key, c.Value), StringComparer.Ordinal);
        foreach (var collection in _byName.Values)
        {
            backplane.Register(collection.Name, collection.L1);
        }
    }

    /// <summary>Every collection.</summary>
    public IReadOnlyCollection<RecordCollection> All => _byName.Values;

    /// <summary>The collection named <paramref name="name"/>, if configured.</summary>
    public RecordCollection? Find(string? name) => name is not null && _byName.TryGetValue(name, out var c) ? c : null;
}
