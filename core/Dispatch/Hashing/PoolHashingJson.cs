using System.Globalization;
using System.Text.Json;
using Serverless.Core.Dispatch.Hashing;

namespace Serverless.Core.Dispatch;

/// <summary>
/// The hashing fields of pool JSON: <c>"hashKey": {"header": "X-Tenant"} | {"query": "tenant"} | {"segment": 0}</c>
/// (required by <c>ring-hash</c> and <c>maglev</c>), <c>"balanceFactor"</c> (1-100, default 1.25) and, for maglev,
/// <c>"tableSize"</c> (a prime of at least 100 × targets, default 65537). Other policies refuse them.
/// </summary>
public static partial class PoolDefinitionParser
{
    private static PoolHashing? ParseHashing(JsonElement body, DispatchPolicy policy, int targetCount, List<string> errors)
    {
        var hasKey = body.TryGetProperty("hashKey", out var key) && key.ValueKind != JsonValueKind.Null;
        var hasFactor = body.TryGetProperty("balanceFactor", out var factor) && factor.ValueKind != JsonValueKind.Null;
        var hasSize = body.TryGetProperty("tableSize", out var size) && size.ValueKind != JsonValueKind.Null;
        if (!policy.IsHashed())
        {
            if (hasKey || hasFactor || hasSize)
            {
                errors.Add("'hashKey', 'balanceFactor' and 'tableSize' apply only to the ring-hash and maglev policies.");
            }

            return null;
        }

        var rule = hasKey ? ParseKey(key, errors) : null;
        if (!hasKey)
        {
            errors.Add($"The {policy.Name()} policy needs 'hashKey': {{\"header\": name}}, {{\"query\": name}} or {{\"segment\": number}}.");
        }

        var c = PoolHashing.DefaultBalanceFactor;
        if (hasFactor && (factor.ValueKind != JsonValueKind.Number || !factor.TryGetDouble(out c) || !(c >= 1 && c <= PoolHashing.MaxBalanceFactor)))
        {
            errors.Add($"'balanceFactor' must be a number from 1 to {PoolHashing.MaxBalanceFactor}.");
        }

        var tableSize = MaglevTable.DefaultSize;
        if (hasSize && policy != DispatchPolicy.Maglev)
        {
            errors.Add("'tableSize' applies only to the maglev policy.");
        }
        else if (hasSize && (size.ValueKind != JsonValueKind.Number || !size.TryGetInt32(out tableSize) || tableSize > PoolHashing.MaxTableSize || !Primes.IsPrime(tableSize)))
        {
            errors.Add($"'tableSize' must be a prime number up to {PoolHashing.MaxTableSize}.");
        }
        else if (tableSize < 100L * Math.Max(1, targetCount))
        {
            errors.Add($"'tableSize' must be at least 100 × the number of targets ({100 * targetCount}).");
        }

        return rule is null ? null : new PoolHashing(rule, c, tableSize);
    }

    private static HashKeyRule? ParseKey(JsonElement key, List<string> errors)
    {
        const string Shape = "'hashKey' must be one of {\"header\": name}, {\"query\": name} or {\"segment\": number from 0 to 63}.";
        if (key.ValueKind != JsonValueKind.Object || key.EnumerateObject().Count() != 1)
        {
            errors.Add(Shape);
            return null;
        }

        var only = key.EnumerateObject().First();
        switch (only.Name)
        {
            case "header" when only.Value.ValueKind == JsonValueKind.String && HeaderName().IsMatch(only.Value.GetString()!):
                return new HashKeyRule(HashKeySource.Header, only.Value.GetString()!);
            case "query" when only.Value.ValueKind == JsonValueKind.String && only.Value.GetString() is { Length: > 0 and <= 128 } name:
                return new HashKeyRule(HashKeySource.Query, name);
            case "segment" when only.Value.ValueKind == JsonValueKind.Number && only.Value.TryGetInt32(out var index) && index is >= 0 and < 64:
                return new HashKeyRule(HashKeySource.Segment, index.ToString(CultureInfo.InvariantCulture));
            default:
                errors.Add(Shape);
                return null;
        }
    }

    // RFC 9110 §5.6.2 token characters.
    [System.Text.RegularExpressions.GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")]
    private static partial System.Text.RegularExpressions.Regex HeaderName();
}

/// <summary>Writes the hashing fields (see <see cref="PoolDefinitionParser"/>).</summary>
public static partial class PoolDefinitionJson
{
    private static void WriteHashing(Utf8JsonWriter json, PoolDefinition definition)
    {
        if (definition.Hashing is not { } hashing)
        {
            return;
        }

        json.WriteStartObject("hashKey");
        switch (hashing.Key.Source)
        {
            case HashKeySource.Header:
                json.WriteString("header", hashing.Key.Name);
                break;
            case HashKeySource.Query:
                json.WriteString("query", hashing.Key.Name);
                break;
            default:
                json.WriteNumber("segment", int.Parse(hashing.Key.Name, CultureInfo.InvariantCulture));
                break;
        }

        json.WriteEndObject();
        json.WriteNumber("balanceFactor", hashing.BalanceFactor);
        if (definition.Policy == DispatchPolicy.Maglev)
        {
            json.WriteNumber("tableSize", hashing.TableSize);
        }
    }
}
