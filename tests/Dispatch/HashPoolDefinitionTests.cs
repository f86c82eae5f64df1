using System.Text.Json;
using Serverless.Core.Dispatch;
using Serverless.Core.Dispatch.Hashing;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>Pool JSON for ring-hash and maglev: key sources, bounds, table size, and how a request's key is read.</summary>
public sealed class HashPoolDefinitionTests
{
    private const string Targets = """[{"id":"a","url":"http://a.test"},{"id":"b","url":"http://b.test"}]""";

    [Theory]
    [InlineData("""{"header":"X-Tenant"}""", HashKeySource.Header, "X-Tenant")]
    [InlineData("""{"query":"cart"}""", HashKeySource.Query, "cart")]
    [InlineData("""{"segment":1}""", HashKeySource.Segment, "1")]
    public void HashKeyIsReadFromHeaderQueryOrSegment(string key, HashKeySource source, string name)
    {
        var (definition, error) = Parse($$"""{"policy":"maglev","hashKey":{{key}},"balanceFactor":1.5,"targets":{{Targets}}}""");

        Assert.Null(error);
        Assert.Equal(new PoolHashing(new HashKeyRule(source, name), 1.5, MaglevTable.DefaultSize), definition!.Hashing);
        Assert.Equal(definition.Hashing, Parse(PoolDefinitionJson.Write(definition)).Definition!.Hashing);
    }

    [Theory]
    [InlineData("""{"policy":"ring-hash","targets":T}""", "needs 'hashKey'")]
    [InlineData("""{"policy":"ring-hash","hashKey":{"cookie":"x"},"targets":T}""", "'hashKey' must be one of")]
    [InlineData("""{"policy":"ring-hash","hashKey":{"header":"X A"},"targets":T}""", "'hashKey' must be one of")]
    [InlineData("""{"policy":"ring-hash","hashKey":{"segment":-1},"targets":T}""", "'hashKey' must be one of")]
    [InlineData("""{"policy":"ring-hash","hashKey":{"header":"a","query":"b"},"targets":T}""", "'hashKey' must be one of")]
    [InlineData("""{"policy":"ring-hash","hashKey":{"header":"a"},"balanceFactor":0.9,"targets":T}""", "'balanceFactor' must be a number from 1")]
    [InlineData("""{"policy":"ring-hash","hashKey":{"header":"a"},"tableSize":65537,"targets":T}""", "'tableSize' applies only to the maglev")]
    [InlineData("""{"policy":"maglev","hashKey":{"header":"a"},"tableSize":65536,"targets":T}""", "'tableSize' must be a prime")]
    [InlineData("""{"policy":"maglev","hashKey":{"header":"a"},"tableSize":101,"targets":T}""", "at least 100 × the number of targets (200)")]
    [InlineData("""{"policy":"round-robin","hashKey":{"header":"a"},"targets":T}""", "apply only to the ring-hash and maglev")]
    public void BadHashingSettingsAreRefusedWithTheRuleBroken(string json, string expected)
    {
        var (definition, error) = Parse(json.Replace("\"targets\":T", $"\"targets\":{Targets}", StringComparison.Ordinal));

        Assert.Null(definition);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("header", "X-Tenant", "/any", "acme")]
    [InlineData("query", "cart", "/carts?x=1&cart=c%2042", "c 42")]
    [InlineData("segment", "1", "/carts/c-42/items?cart=other", "c-42")]
    [InlineData("segment", "3", "/carts/c-42/items", null)]
    [InlineData("query", "cart", "/carts?cart=", null)]
    [InlineData("query", "cart", "/carts", null)]
    public void KeyOfARequestComesFromItsConfiguredPlace(string source, string name, string pathAndQuery, string? expected)
    {
        var rule = new HashKeyRule(Enum.Parse<HashKeySource>(source, ignoreCase: true), name);
        var request = new ForwardRequest("p", "GET", pathAndQuery, [new("x-tenant", "acme")], default);

        Assert.Equal(expected, rule.From(request));
    }

    private static (PoolDefinition? Definition, string? Error) Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return PoolDefinitionParser.Parse(document.RootElement);
    }
}
