using System.Runtime.CompilerServices;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serverless.Core.Hosting;
using Serverless.Core.Storage;

namespace Serverless.Tests.Outages;

/// <summary>
/// Loses the answer to a Storage try that Azurite carried out, as a network timeout after the server committed does:
/// the try reaches Azurite, then the client sees an I/O error and the SDK's retry policy tries again. Armed for the
/// calling flow only (an async local), so the app's background work keeps its answers.
/// </summary>
internal sealed class LostAnswers : HttpPipelinePolicy
{
    private readonly AsyncLocal<StrongBox<int>?> _armed = new();
    private int _lost;

    /// <summary>How many answers were lost.</summary>
    public int Lost => Volatile.Read(ref _lost);

    /// <summary>
    /// The write (any method but GET) this flow makes after <paramref name="skip"/> others commits and its answer is
    /// lost; tasks this flow starts afterwards (a heartbeat) count in the same sequence.
    /// </summary>
    public void Arm(int skip = 0) => _armed.Value = new StrongBox<int>(skip + 1);

    /// <summary>Builds the app's <see cref="StorageClients"/> with this policy in every try.</summary>
    public void Install(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton(sp => new StorageClients(
            sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<IOptions<StorageRetryOptions>>().Value, this)));

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        LoseIfArmed(message);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ProcessNext(message, pipeline);
        LoseIfArmed(message);
    }

    private void LoseIfArmed(HttpMessage message)
    {
        if (message.Request.Method != RequestMethod.Get
            && message.Response.Status < 300
            && _armed.Value is { } armed
            && Interlocked.Decrement(ref armed.Value) == 0)
        {
            Interlocked.Increment(ref _lost);
            throw new IOException($"test: the answer to a committed {message.Request.Method} {message.Request.Uri.Path} was lost");
        }
    }
}
