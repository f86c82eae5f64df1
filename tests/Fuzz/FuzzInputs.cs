using System.Text;

namespace Serverless.Tests.Fuzz;

/// <summary>The hostile values the fuzzer substitutes into route values, query strings, headers and JSON bodies.</summary>
internal static class FuzzInputs
{
    private const int Huge = 10_000;

    /// <summary>Route values; the flag says whether every function must refuse it (text no identifier can hold).</summary>
    public static readonly (string Label, string Value, bool Invalid)[] RouteValues =
    [
        ("empty", "", false),
        ("space", " ", false),
        ("dot-dot", "../../etc/passwd", false),
        ("slash", "a/b", false),
        ("percent-encoded", "%2e%2e%2f", false),
        ("non-ascii", "caf\u00e9-\u624b\u673a", false),
        ("current", "current", false),
        ("pools", "pools", false),
        ("huge", new string('a', Huge), true),
        ("nul", "a\0b", true),
        ("crlf", "a\r\nSet-Cookie: x=1", true),
        ("lone-surrogate", "a\ud800b", true),
    ];

    /// <summary>Query-string values, already percent-encoded as they would arrive on the wire.</summary>
    public static readonly (string Label, string Encoded)[] QueryValues =
    [
        ("empty", ""),
        ("word", "phone"),
        ("negative", "-1"),
        ("zero", "0"),
        ("fraction", "1.5"),
        ("exponent", "1e400"),
        ("above-decimal", "100000000000000000000"),
        ("above-decimal-max", "99999999999999999999999999999999"),
        ("above-long", "9223372036854775808"),
        ("below-long", "-9223372036854775809"),
        ("nan", "NaN"),
        ("infinity", "Infinity"),
        ("thousands", "1%2C000"),
        ("hex", "0x10"),
        ("bad-percent", "%ZZ"),
        ("invalid-utf8", "%C3%28"),
        ("cesu-surrogate", "%ED%A0%80"),
        ("nul", "a%00b"),
        ("huge", new string('a', Huge)),
    ];

    /// <summary>Header values; the function's own headers get these, and unrelated functions get them as noise.</summary>
    public static readonly (string Label, string[] Values)[] HeaderValues =
    [
        ("empty", [""]),
        ("quote", ["\""]),
        ("weak-only", ["W/\""]),
        ("negative-etag", ["\"-1\""]),
        ("above-long-etag", ["\"99999999999999999999\""]),
        ("list", ["\"1\", \"2\""]),
        ("duplicate", ["\"1\"", "\"2\""]),
        ("non-ascii", ["caf\u00e9"]),
        ("control", ["a\u0001b"]),
        ("lone-surrogate", ["a\ud800b"]),
        ("huge", [new string('a', Huge)]),
        ("session-scheme-only", ["Session "]),
        ("session-garbage", ["Session ../../x"]),
        ("cookie-garbage", ["sid=; sid=a; =; ;;"]),
    ];

    /// <summary>Whole bodies no JSON function may accept.</summary>
    public static IEnumerable<(string Label, byte[] Body)> MalformedBodies()
    {
        yield return ("invalid-utf8", [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D]);
        yield return ("invalid-utf8-key", [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]);
        yield return ("overlong-utf8", [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC0, 0xAF, 0x22, 0x7D]);
        yield return ("cesu-surrogate", [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D]);
        yield return ("escaped-lone-surrogate", Bytes("""{"a":"\ud800"}"""));
        yield return ("escaped-lone-surrogate-key", Bytes("""{"\udc00":1}"""));
        yield return ("escaped-lone-surrogate-nested", Bytes("""[{"a":["x","\ud83d"]}]"""));
        yield return ("truncated", Bytes("""{"a":"""));
        yield return ("trailing-garbage", Bytes("""{} x"""));
        yield return ("trailing-comma", Bytes("""{"a":1,}"""));
        yield return ("comment", Bytes("""/*x*/{}"""));
        yield return ("single-quotes", Bytes("""{'a':1}"""));
        yield return ("deep-array", Bytes(new string('[', 100_000) + new string(']', 100_000)));
        yield return ("deep-object", Bytes(string.Concat(Enumerable.Repeat("{\"a\":", 65)) + "1" + new string('}', 65)));
        yield return ("huge", Bytes("{\"a\":\"" + new string('a', 21 * 1024 * 1024) + "\"}"));
        yield return ("null", Bytes("null"));
        yield return ("true", Bytes("true"));
        yield return ("number", Bytes("1"));
        yield return ("string", Bytes("\"x\""));
        yield return ("array-of-number", Bytes("[1]"));
        yield return ("binary", [0x00, 0x01, 0xFE, 0xFF]);
    }

    /// <summary>JSON values put in place of one member of a valid body.</summary>
    public static readonly (string Label, string Json)[] MemberValues =
    [
        ("null", "null"),
        ("true", "true"),
        ("string", "\"x\""),
        ("empty-string", "\"\""),
        ("numeric-string", "\"12\""),
        ("zero", "0"),
        ("negative", "-1"),
        ("fraction", "1.5"),
        ("negative-zero", "-0"),
        ("exponent", "1e400"),
        ("long-max", "9223372036854775807"),
        ("long-max-minus-one", "9223372036854775806"),
        ("above-long", "9223372036854775808"),
        ("long-min", "-9223372036854775808"),
        ("above-decimal", "100000000000000000000000000000000"),
        ("array", "[]"),
        ("object", "{}"),
        ("nul-string", "\"a\\u0000b\""),
        ("huge-string", "\"" + new string('a', 70_000) + "\""),
        ("deep", new string('[', 60) + new string(']', 60)),
    ];

    /// <summary>Members whose extremes are out of range for every function that takes them.</summary>
    public static readonly HashSet<string> ExtremeLabels = ["exponent", "long-max", "long-max-minus-one", "above-long", "long-min", "above-decimal"];

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
