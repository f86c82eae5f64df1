using System.Text;
using Serverless.EndToEnd.Host;
using Serverless.Testing;
using Xunit;

namespace Serverless.EndToEnd.Operability;

/// <summary>
/// The telemetry a team sees in Azure, read from what the host and its worker export over OTLP (host.json
/// <c>telemetryMode</c> OpenTelemetry, <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set by the fixture): one trace from the
/// caller's traceparent through the host's invocation to the worker's Redis calls, the Serverless meters, and no
/// session id anywhere in the exported bytes.
/// </summary>
[RedisBacked]
public sealed class TelemetryEndToEndTests(HostFixture fixture)
{
    private static readonly TimeSpan Export = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 90_000)]
    [Covers("CreateSession")]
    public async Task ACallersTraceRunsThroughTheHostsInvocationIntoTheWorkersRedisCalls()
    {
        using var client = fixture.Client();
        var trace = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var caller = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8]);

        var created = await Answer.SendAsync(client, HttpMethod.Post, "sessions", new { principal = $"user-{Guid.NewGuid():N}"[..20], attributes = new { cart = 1 } },
            new Dictionary<string, string> { ["traceparent"] = $"00-{trace}-{caller}-01" });
        Assert.True(created.Status == 201, created.ToString());

        // The Redis call is the worker's; its ancestors lead to a span whose parent is the caller's.
        var spans = (await Eventually.GetAsync(() => Task.FromResult(new Spans([.. fixture.Otlp.Spans().Where(s => s.TraceId == trace)])),
            found => found.All.Any(IsRedis) && Chain(found.All, found.All.First(IsRedis)).Last().ParentSpanId == caller, Export,
            $"the trace {trace} has a Redis span whose ancestors reach the caller's span {caller}")).All;
        var chain = Chain(spans, spans.First(IsRedis));
        var services = chain.Select(s => s.Service).Distinct().ToList();
        TestContext.Current.TestOutputHelper!.WriteLine(string.Join("\n", chain.Select(s => $"{s.Service} | {s.Scope} | {s.Name} | kind {s.Kind}")));
        Assert.Equal(OtlpSpan.Server, chain.Last().Kind);
        Assert.True(services.Count >= 2, $"host and worker both in the chain: {string.Join(", ", services)}");
    }

    [Fact(Timeout = 90_000)]
    [Covers("CreateSession", "GetSession")]
    public async Task TheSessionMetersArriveAndNoSessionIdIsExported()
    {
        using var client = fixture.Client();
        var created = await Answer.SendAsync(client, HttpMethod.Post, "sessions", new { principal = $"user-{Guid.NewGuid():N}"[..20], attributes = new { cart = 1 } });
        Assert.True(created.Status == 201, created.ToString());
        var id = created.Json.GetProperty("id").GetString()!;
        var read = await Answer.SendAsync(client, HttpMethod.Get, "sessions/current", headers: new Dictionary<string, string> { ["Authorization"] = $"Session {id}" });
        Assert.True(read.Status == 200, read.ToString());

        await Eventually.GetAsync(() => Task.FromResult(fixture.Otlp.Bodies("metrics").Any(b => Contains(b, "serverless.session."))),
            found => found, Export, "a metrics export with the serverless.session.* instruments");
        // Wait for the traces of both calls to be exported before searching them.
        await Eventually.GetAsync(() => Task.FromResult(fixture.Otlp.Spans().Count(s => s.Name.Contains("session", StringComparison.OrdinalIgnoreCase))),
            n => n >= 2, Export, "the sessions calls' spans");

        var leaked = new[] { "traces", "metrics", "logs" }.Where(signal => fixture.Otlp.Bodies(signal).Any(b => Contains(b, id))).ToList();
        Assert.True(leaked.Count == 0, $"the session id appears in exported {string.Join(", ", leaked)}");
    }

    // What a timeout prints as "last seen".
    private sealed record Spans(List<OtlpSpan> All)
    {
        public override string ToString() => All.Count == 0 ? "no span" : string.Join("; ", All.Select(s => $"{s.Service}/{s.Name} {s.SpanId}<-{s.ParentSpanId}"));
    }

    private static bool IsRedis(OtlpSpan span) => span.Scope.Contains("StackExchangeRedis", StringComparison.Ordinal);

    // From the span up to the trace's first span in this export set (whose parent is outside it: the caller).
    private static List<OtlpSpan> Chain(IReadOnlyList<OtlpSpan> spans, OtlpSpan from)
    {
        var byId = spans.GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
        var chain = new List<OtlpSpan> { from };
        while (byId.TryGetValue(chain[^1].ParentSpanId, out var parent) && chain.Count < 64)
        {
            chain.Add(parent);
        }

        return chain;
    }

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}
