using System.Globalization;

namespace Serverless.Core.Dispatch.Hashing;

/// <summary>How a <c>ring-hash</c> or <c>maglev</c> pool hashes requests (pool JSON: <c>hashKey</c>, <c>balanceFactor</c>, <c>tableSize</c>).</summary>
/// <param name="Key">Where the key is read from.</param>
/// <param name="BalanceFactor">Bounded loads: no target takes more than ⌈c × its weighted share of the in-flight requests⌉ (c ≥ 1).</param>
/// <param name="TableSize">Maglev table size, a prime of at least 100 × targets (ignored by ring-hash).</param>
public sealed record PoolHashing(HashKeyRule Key, double BalanceFactor = PoolHashing.DefaultBalanceFactor, int TableSize = MaglevTable.DefaultSize)
{
    /// <summary>Mirrokni, Thorup and Zadimoghaddam's example factor, also Envoy's usual <c>hash_balance_factor</c> of 125.</summary>
    public const double DefaultBalanceFactor = 1.25;

    /// <summary>Largest factor accepted (beyond it the bound no longer protects anything).</summary>
    public const double MaxBalanceFactor = 100;

    /// <summary>Largest Maglev table (a build takes about a millisecond per 100,000 slots).</summary>
    public const int MaxTableSize = 5_000_011;

    /// <summary>The table for a definition's targets, by its policy.</summary>
    public IConsistentHashTable Build(PoolDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var targets = definition.Targets.Select(t => (t.Id, t.Weight)).ToList();
        return definition.Policy == DispatchPolicy.Maglev ? new MaglevTable(targets, TableSize) : new RingHashTable(targets);
    }
}

/// <summary>Where a request's hash key comes from.</summary>
public enum HashKeySource
{
    /// <summary>A request header (first value).</summary>
    Header,

    /// <summary>A query-string parameter (first occurrence, URL-decoded).</summary>
    Query,

    /// <summary>A segment of the forwarded path below the pool, counted from 0.</summary>
    Segment,
}

/// <summary>The key's source and name (header or parameter name, or the segment number).</summary>
/// <param name="Source">Header, query parameter or path segment.</param>
/// <param name="Name">Header or parameter name; for a segment, its number as text.</param>
public sealed record HashKeyRule(HashKeySource Source, string Name)
{
    /// <summary>The key of a request, or null when it has none (an empty value counts as none).</summary>
    public string? From(ForwardRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var value = Source switch
        {
            HashKeySource.Header => request.Headers.FirstOrDefault(h => h.Key.Equals(Name, StringComparison.OrdinalIgnoreCase)).Value,
            HashKeySource.Query => FromQuery(request.PathAndQuery),
            _ => FromSegment(request.PathAndQuery),
        };
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>How the rule reads in messages: <c>header 'X-Tenant'</c>.</summary>
    public string Describe() => Source switch
    {
        HashKeySource.Header => $"header '{Name}'",
        HashKeySource.Query => $"query parameter '{Name}'",
        _ => $"path segment {Name}",
    };

    private string? FromQuery(string pathAndQuery)
    {
        var at = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        foreach (var pair in pathAndQuery[(at + 1)..].Split('&'))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? pair : pair[..eq];
            if (Unescape(name) == Name)
            {
                return eq < 0 ? null : Unescape(pair[(eq + 1)..]);
            }
        }

        return null;
    }

    private string? FromSegment(string pathAndQuery)
    {
        var at = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = at < 0 ? pathAndQuery : pathAndQuery[..at];
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var index = int.Parse(Name, CultureInfo.InvariantCulture);
        return index < segments.Length ? Unescape(segments[index]) : null;
    }

    // A malformed escape is kept as written: it is still a stable key.
    private static string Unescape(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            return text;
        }
    }
}
