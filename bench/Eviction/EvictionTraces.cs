using Serverless.Core.Search.Query;

namespace Serverless.Bench.Eviction;

/// <summary>A replayable sequence of key accesses over a key space of <paramref name="Keys"/> keys.</summary>
public sealed record Trace(string Name, int Keys, int[] Accesses);

/// <summary>The traces the simulator replays; every generator is seeded, so a run is reproducible.</summary>
public static class EvictionTraces
{
    private const int KeySpace = 10_000;
    private const int Length = 300_000;

    public static IReadOnlyList<Trace> All() =>
    [
        Zipf(0.7), Zipf(0.9), Zipf(1.1), LoopingScan(), ShiftingHotSet(), SearchQueries(),
    ];

    /// <summary>Key k has probability ∝ 1/k^s (k from 1), drawn through the inverse CDF.</summary>
    public static Trace Zipf(double skew, int seed = 7)
    {
        var cdf = new double[KeySpace];
        var sum = 0.0;
        for (var k = 0; k < KeySpace; k++)
        {
            sum += 1 / Math.Pow(k + 1, skew);
            cdf[k] = sum;
        }

#pragma warning disable CA5394 // Not for security: seeded, so every run replays the same trace.
        var random = new Random(seed);
        var accesses = new int[Length];
        for (var i = 0; i < Length; i++)
        {
            var index = Array.BinarySearch(cdf, random.NextDouble() * sum);
            accesses[i] = index < 0 ? ~index : index;
        }
#pragma warning restore CA5394

        // Popular keys are scattered over the key space, as hashes of real keys would be.
        var shuffle = Permutation(KeySpace, seed);
        return new Trace($"Zipf {skew:0.0}", KeySpace, [.. accesses.Select(a => shuffle[a])]);
    }

    /// <summary>0, 1, …, N-1, 0, 1, …: every key once per loop, a loop longer than every cache (LRU and FIFO never hit).</summary>
    public static Trace LoopingScan() => new("looping scan", KeySpace, [.. Enumerable.Range(0, Length).Select(i => i % KeySpace)]);

    /// <summary>90% of accesses go to a hot 5% of the keys, and the hot set moves to other keys every 30 000 accesses.</summary>
    public static Trace ShiftingHotSet(int seed = 11)
    {
#pragma warning disable CA5394 // Not for security: seeded.
        var random = new Random(seed);
        var hot = KeySpace / 20;
        var accesses = new int[Length];
        var start = 0;
        for (var i = 0; i < Length; i++)
        {
            if (i % 30_000 == 0)
            {
                start = random.Next(KeySpace - hot);
            }

            accesses[i] = random.NextDouble() < 0.9 ? start + random.Next(hot) : random.Next(KeySpace);
        }
#pragma warning restore CA5394
        return new Trace("shifting hot set", KeySpace, accesses);
    }

    /// <summary>
    /// Search requests shaped like the app's: a Zipf-popular query text (one or two words of a 2 000-word vocabulary),
    /// sometimes a category or brand filter, a sort, and mostly page 1, parsed by the app's own <see cref="SearchRequest"/>;
    /// the cache key is the query's <see cref="SearchQuery.CanonicalKey"/>, as the search cache keys it.
    /// </summary>
    public static Trace SearchQueries(int seed = 13)
    {
        var words = Zipf(1.0, seed).Accesses;
        string[] categories = ["phones", "laptops", "audio", "cameras", "tv", "games"];
        string[] brands = ["acme", "globex", "initech", "umbrella", "hooli"];
        string[] sorts = ["relevance", "price_asc", "price_desc", "newest"];
#pragma warning disable CA5394 // Not for security: seeded.
        var random = new Random(seed);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var accesses = new int[Length];
        for (var i = 0; i < Length; i++)
        {
            var text = $"w{words[i] % 2000}" + (random.NextDouble() < 0.3 ? $" w{words[(int)((i * 7919L) % Length)] % 2000}" : "");
            var request = new SearchRequest(
                text,
                Category: random.NextDouble() < 0.2 ? categories[random.Next(categories.Length)] : null,
                Brand: random.NextDouble() < 0.1 ? brands[random.Next(brands.Length)] : null,
                Sort: random.NextDouble() < 0.7 ? null : sorts[random.Next(sorts.Length)],
                Page: random.NextDouble() < 0.85 ? null : $"{2 + random.Next(4)}");
#pragma warning restore CA5394
            var key = request.Parse().Query?.CanonicalKey ?? text;
            if (!ids.TryGetValue(key, out var id))
            {
                ids[key] = id = ids.Count;
            }

            accesses[i] = id;
        }

        return new Trace("search queries", ids.Count, accesses);
    }

    private static int[] Permutation(int n, int seed)
    {
        var values = Enumerable.Range(0, n).ToArray();
#pragma warning disable CA5394 // Not for security: seeded.
        new Random(seed).Shuffle(values);
#pragma warning restore CA5394
        return values;
    }
}
