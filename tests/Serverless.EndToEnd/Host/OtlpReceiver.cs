using System.Collections.Concurrent;
using System.Net;
using Serverless.Testing;

namespace Serverless.EndToEnd.Host;

/// <summary>
/// An OTLP/HTTP collector for the run: the host and its worker export to it (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), and
/// it keeps every export's raw protobuf body by signal, so tests can read spans and search for what must not leak.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<(string Signal, byte[] Body)> _exports = new();
    private readonly Task _loop;

    private OtlpReceiver(int port)
    {
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(ReceiveAsync);
    }

    /// <summary>The base address exporters are given (they append <c>v1/traces</c>, <c>v1/metrics</c>, <c>v1/logs</c>).</summary>
    public Uri Endpoint { get; }

    public static OtlpReceiver Start() => new(ListeningSockets.FreePort());

    /// <summary>Raw bodies received for <paramref name="signal"/> (<c>traces</c>, <c>metrics</c> or <c>logs</c>).</summary>
    public IReadOnlyList<byte[]> Bodies(string signal) => [.. _exports.Where(e => e.Signal == signal).Select(e => e.Body)];

    /// <summary>Every span received so far.</summary>
    public IReadOnlyList<OtlpSpan> Spans() => [.. Bodies("traces").SelectMany(OtlpSpans.Read)];

    private async Task ReceiveAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var signal = context.Request.Url!.AbsolutePath.TrimEnd('/').Split('/')[^1];
            _exports.Enqueue((signal, body.ToArray()));
            // An empty ExportServiceResponse: full success.
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
