using Serverless.Core.Sessions;
using Serverless.Core.Telemetry;
using Serverless.Testing;
using Serverless.Tests.Sessions;
using Xunit;

namespace Serverless.Tests.Telemetry;

[RedisBacked]
[Collection(TelemetryCollection.Name)]
public sealed class SessionTelemetryTests(ServicesFixture services)
{
    [Fact(Timeout = 30_000)]
    public async Task EachOperationIsCountedByKindAndOutcomeAndALostCompareAndSetIsAConflict()
    {
        using var app = await SessionApp.StartAsync(services);
        using var telemetry = new TelemetryCapture();

        var created = (await app.Store.CreateAsync("alice", SessionApp.Attributes(("cart", 1)))).Session!;
        await app.Store.GetAsync(created.Id);
        await app.Store.GetAsync(created.Id);
        await app.Store.GetAttributeAsync(created.Id, "cart");
        var updated = await app.Store.UpdateAsync(created.Id, SessionApp.Attributes(("cart", 2)), created.Version);
        var lost = await app.Store.UpdateAsync(created.Id, SessionApp.Attributes(("cart", 3)), created.Version);
        await app.Store.TouchAsync(created.Id);
        var rotated = (await app.Store.RotateAsync(created.Id)).Session!;
        await app.Store.GetAsync(created.Id);
        await app.Store.DeleteAsync(rotated.Id);

        Assert.Equal((SessionStatus.Ok, SessionStatus.VersionMismatch), (updated.Status, lost.Status));
        Assert.Equal(1, Operations(telemetry, "create", "ok"));
        Assert.Equal(2, Operations(telemetry, "get", "ok"));
        Assert.Equal(1, Operations(telemetry, "get", "not-found"));
        Assert.Equal(1, Operations(telemetry, "get-attribute", "ok"));
        Assert.Equal(1, Operations(telemetry, "update", "ok"));
        Assert.Equal(1, Operations(telemetry, "update", "version-mismatch"));
        Assert.Equal(1, Operations(telemetry, "touch", "ok"));
        Assert.Equal(1, Operations(telemetry, "rotate", "ok"));
        Assert.Equal(1, Operations(telemetry, "delete", "ok"));
        Assert.Equal(1, telemetry.Sum("serverless.session.cas_conflicts"));
    }

    private static long Operations(TelemetryCapture telemetry, string operation, string outcome) =>
        telemetry.Sum("serverless.session.operations", (SessionMetrics.OperationTag, operation), (SessionMetrics.OutcomeTag, outcome));
}
