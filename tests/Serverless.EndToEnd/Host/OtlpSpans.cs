using System.Text;

namespace Serverless.EndToEnd.Host;

/// <summary>One exported span: ids as lowercase hex (empty parent for a root), its name, kind and scope.</summary>
public sealed record OtlpSpan(string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind)
{
    /// <summary>OTLP's SPAN_KIND_SERVER.</summary>
    public const int Server = 2;

    /// <summary>OTLP's SPAN_KIND_CLIENT.</summary>
    public const int Client = 3;
}

/// <summary>
/// Reads spans out of an OTLP <c>ExportTraceServiceRequest</c>. Written by hand over the protobuf wire format because
/// no package served here carries the OTLP message classes, and tests need only seven fields of three nested messages
/// (opentelemetry-proto trace/v1/trace.proto: ResourceSpans 1 resource, 2 scope_spans; ScopeSpans 1 scope, 2 spans;
/// Span 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind).
/// </summary>
public static class OtlpSpans
{
    public static IEnumerable<OtlpSpan> Read(byte[] request)
    {
        var spans = new List<OtlpSpan>();
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1)
            {
                continue;
            }

            var fields = Fields(resourceSpans).ToList();
            var service = fields.Where(f => f.Field == 1).Select(f => ServiceName(f.Value)).FirstOrDefault() ?? "";
            foreach (var scopeSpans in fields.Where(f => f.Field == 2).Select(f => f.Value))
            {
                var inner = Fields(scopeSpans).ToList();
                var scope = inner.Where(f => f.Field == 1).Select(f => Text(Fields(f.Value).FirstOrDefault(s => s.Field == 1).Value)).FirstOrDefault() ?? "";
                foreach (var span in inner.Where(f => f.Field == 2).Select(f => f.Value))
                {
                    spans.Add(Span(service, scope, span));
                }
            }
        }

        return spans;
    }

    private static OtlpSpan Span(string service, string scope, byte[] span)
    {
        string trace = "", id = "", parent = "", name = "";
        var kind = 0;
        foreach (var (field, value) in Fields(span))
        {
            switch (field)
            {
                case 1: trace = Convert.ToHexStringLower(value); break;
                case 2: id = Convert.ToHexStringLower(value); break;
                case 4: parent = Convert.ToHexStringLower(value); break;
                case 5: name = Text(value); break;
                case 6: kind = (int)Varint(value, 0).Value; break;
            }
        }

        return new OtlpSpan(service, scope, trace, id, parent, name, kind);
    }

    // Resource 1 = attributes (KeyValue 1 key, 2 AnyValue whose 1 is string_value).
    private static string? ServiceName(byte[] resource) =>
        Fields(resource).Where(f => f.Field == 1)
            .Select(f => Fields(f.Value).ToList())
            .Where(kv => kv.Any(p => p.Field == 1 && Text(p.Value) == "service.name"))
            .Select(kv => Text(Fields(kv.First(p => p.Field == 2).Value).FirstOrDefault(v => v.Field == 1).Value))
            .FirstOrDefault();

    private static string Text(byte[]? value) => value is null ? "" : Encoding.UTF8.GetString(value);

    // Every field of a message; a varint field's value is its encoded bytes (read again with Varint), a fixed one its raw bytes.
    private static IEnumerable<(int Field, byte[] Value)> Fields(byte[] message)
    {
        var at = 0;
        while (at < message.Length)
        {
            var (tag, next) = Varint(message, at);
            at = next;
            var field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    var start = at;
                    at = Varint(message, at).Next;
                    yield return (field, message[start..at]);
                    break;
                case 1:
                    yield return (field, message[at..(at + 8)]);
                    at += 8;
                    break;
                case 2:
                    var (length, body) = Varint(message, at);
                    yield return (field, message[body..(body + (int)length)]);
                    at = body + (int)length;
                    break;
                case 5:
                    yield return (field, message[at..(at + 4)]);
                    at += 4;
                    break;
                default:
                    throw new FormatException($"Unsupported protobuf wire type {tag & 7} at byte {at}.");
            }
        }
    }

    private static (ulong Value, int Next) Varint(byte[] data, int at)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return (value, at);
            }
        }
    }
}
