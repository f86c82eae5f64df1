using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Serverless.Testing;

/// <summary>
/// A real HTTP backend on loopback (Kestrel, port chosen by the OS) with scripted latency and status. It answers with
/// its name in the body and in <c>X-Backend</c>, and remembers what it received.
/// </summary>
public sealed class Backend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private Backend(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public string Url { get; private set; } = "";

    /// <summary>Delay before answering.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Status to answer with.</summary>
    public int Status { get; set; } = StatusCodes.Status200OK;

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Whether to keep every request in <see cref="Seen"/> (off for benchmarks, where it would only grow the heap).</summary>
    public bool KeepRequests { get; set; } = true;

    public ConcurrentQueue<Received> Seen { get; } = new();

    /// <summary>
    /// Chooses the status per request (instead of <see cref="Status"/>), after <see cref="Delay"/>: to fail some keys,
    /// count effects, or do work of its own while the request is in flight.
    /// </summary>
    public Func<Received, Task<int>>? Answer { get; set; }

    /// <summary>Extra headers every answer carries (set before the first request).</summary>
    public Dictionary<string, string> ResponseHeaders { get; } = new(StringComparer.OrdinalIgnoreCase);

    public sealed record Received(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body);

    public static async Task<Backend> StartAsync(string name, TimeSpan? delay = null, int status = StatusCodes.Status200OK)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var backend = new Backend(app, name) { Delay = delay ?? TimeSpan.Zero, Status = status };
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        backend.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return backend;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var received = KeepRequests || Answer is not null
            ? new Received(
                context.Request.Method,
                context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body)
            : null;
        if (KeepRequests)
        {
            Seen.Enqueue(received!);
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        context.Response.StatusCode = Answer is { } answer ? await answer(received!) : Status;
        context.Response.Headers["X-Backend"] = Name;
        foreach (var (name, value) in ResponseHeaders)
        {
            context.Response.Headers[name] = value;
        }
        await context.Response.WriteAsync(Name, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
