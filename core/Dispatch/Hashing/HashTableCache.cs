using System.Collections.Concurrent;
using System.Text.Json;

namespace Serverless.Core.Dispatch.Hashing;

/// <summary>A hashing pool's definition and table as one instance built them from one pool generation.</summary>
/// <param name="Generation">The pool's <c>gen</c> (new on every save): the pick script refuses preferences from another.</param>
/// <param name="Definition">The definition stored with that generation.</param>
/// <param name="Table">The ring or Maglev table built from it.</param>
internal sealed record HashedPool(string Generation, PoolDefinition Definition, IConsistentHashTable Table)
{
    /// <summary>The key's target ids in preference order, space-separated, as the pick script reads them.</summary>
    public string Preferences(ulong keyHash) => string.Join(' ', Table.Preferences(keyHash).Select(i => Definition.Targets[i].Id));
}

/// <summary>
/// Tables of the hashing pools this instance has picked from, one per pool for its latest generation, so a lookup
/// is in-process and only the bounded-load check goes to Redis. Only definitions the pick script handed back are
/// kept, so unknown pool names never grow the cache.
/// </summary>
internal sealed class HashTableCache
{
    private readonly ConcurrentDictionary<string, HashedPool> _pools = new(StringComparer.Ordinal);

    public HashedPool? For(string pool) => _pools.TryGetValue(pool, out var known) ? known : null;

    /// <summary>Builds and keeps the table for the definition the script returned with its generation.</summary>
    public HashedPool Learn(string pool, string generation, string json)
    {
        if (_pools.TryGetValue(pool, out var known) && known.Generation == generation)
        {
            return known;
        }

        using var document = JsonDocument.Parse(json);
        var definition = PoolDefinitionParser.Parse(document.RootElement).Definition
            ?? throw new InvalidOperationException($"Pool '{pool}' holds a definition that no longer parses.");
        var hashing = definition.Hashing
            ?? throw new InvalidOperationException($"Pool '{pool}' uses {definition.Policy.Name()} without hashing settings.");
        return _pools[pool] = new HashedPool(generation, definition, hashing.Build(definition));
    }

    public void Forget(string pool) => _pools.TryRemove(pool, out _);
}
