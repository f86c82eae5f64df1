using Microsoft.Extensions.Options;

namespace Serverless.Core.Dispatch;

/// <summary>
/// Active health checking for pools that set a <c>probePath</c>: GETs it on every admitted HTTP target and records the
/// outcome like live traffic does, so a dead backend is ejected even when no requests reach it.
/// </summary>
public sealed class DispatchProbe(DispatchStore store, TargetSender sender, IOptions<DispatchOptions> options)
{
    /// <summary>Probes every pool once; returns how many targets were probed.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var probed = 0;
        foreach (var pool in await store.ListAsync())
        {
            if (await store.GetAsync(pool) is not { Definition.ProbePath: { } path } view)
            {
                continue;
            }

            var admitted = view.Targets.Where(s => s.EjectedUntil is null).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            var targets = view.Definition.Targets.Where(t => t.Kind == TargetKind.Http && admitted.Contains(t.Id)).ToList();
            await Task.WhenAll(targets.Select(async target =>
            {
                var request = new ForwardRequest(pool, "GET", path, [], default);
                var attempt = await sender.SendHttpAsync(target.Address, request, cancellationToken, options.Value.ProbeTimeout);
                await store.RecordAsync(pool, target.Id, null, attempt.Failed ? Outcome.Failure : Outcome.Success, attempt.Latency);
            }));
            probed += targets.Count;
        }

        return probed;
    }
}
