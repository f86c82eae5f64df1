using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Serverless.Tests.Outages;

/// <summary>
/// An HTTP backend that takes a request, says so, and answers 201 only when the test lets it: the test can change
/// the world (stop Redis) between a dispatch pick and the moment the answer comes back, without timing.
/// </summary>
internal sealed class GatedBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _requests;

    private GatedBackend(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Completes when the first request has arrived.</summary>
    public Task Received => _received.Task;

    public static async Task<GatedBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var backend = new GatedBackend(app);
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        backend.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return backend;
    }

    /// <summary>Lets every held and future request be answered.</summary>
    public void Release() => _release.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        _received.TrySetResult();
        await _release.Task.WaitAsync(context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status201Created;
        await context.Response.WriteAsync("created once", context.RequestAborted);
    }
}
