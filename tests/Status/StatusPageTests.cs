using Serverless.Core.Dispatch;
using Serverless.Core.Operability;
using Xunit;

namespace Serverless.Tests.Status;

/// <summary>The page's HTML: escaping, target states, self-refresh, nothing external.</summary>
public sealed class StatusPageTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact(Timeout = 5_000)]
    public void UserTextIsEscapedEverywhere()
    {
        const string hostile = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>&";
        var pool = new PoolView(hostile, new PoolDefinition(DispatchPolicy.RoundRobin, [new PoolTarget(hostile, TargetKind.Queue, hostile, 1)], null),
            [new TargetState(hostile, 1, 1, 0, 0, 0, 0, null, null)]);
        var snapshot = new StatusSnapshot(Now, [pool], [new QueueDepth(hostile, 1, 2)], 0,
            [new InstrumentTotal(hostile, hostile, hostile, hostile, hostile, 1, 1)], [hostile]);

        var html = StatusPage.Render(snapshot);

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\"'>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
    }

    [Fact(Timeout = 5_000)]
    public void EjectedSlowStartingDrainedAndAdmittedTargetsAreTold()
    {
        var targets = new[] { "ejected", "ramping", "drained", "fine" }.Select(id => new PoolTarget(id, TargetKind.Http, $"https://{id}.example", id == "drained" ? 0 : 1)).ToList();
        var pool = new PoolView("p", new PoolDefinition(DispatchPolicy.LeastConnections, targets, null),
        [
            new TargetState("ejected", 1, 0, 0, 0, 5, 1, Now.AddSeconds(10), null),
            new TargetState("ramping", 1, 0.2, 1, 12.5, 0, 0, null, Now.AddSeconds(20)),
            new TargetState("drained", 0, 0, 0, 0, 0, 0, null, null),
            new TargetState("fine", 1, 1, 2, 3, 0, 0, Now.AddSeconds(-5), null),
        ]);

        var html = StatusPage.Render(new StatusSnapshot(Now, [pool], [], 0, [], []));

        Assert.Contains("ejected until 12:00:10", html, StringComparison.Ordinal);
        Assert.Contains("slow start until 12:00:20", html, StringComparison.Ordinal);
        Assert.Contains(">drained<", html, StringComparison.Ordinal);
        Assert.Equal(1, html.Split(">admitted<").Length - 1);
        Assert.Contains("<td class=\"n\">12.5</td>", html, StringComparison.Ordinal);
    }

    [Fact(Timeout = 5_000)]
    public void PageRefreshesItselfLoadsNothingExternalAndSaysWhenThereAreNoInstruments()
    {
        var html = StatusPage.Render(new StatusSnapshot(Now, [], [], 0, [], ["Could not read queues (Storage): down"]));

        Assert.Contains($"<meta http-equiv=\"refresh\" content=\"{StatusPage.RefreshSeconds}\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.Contains("No Serverless.* instruments have been created yet.", html, StringComparison.Ordinal);
        Assert.Contains("Could not read queues (Storage): down", html, StringComparison.Ordinal);
    }
}
