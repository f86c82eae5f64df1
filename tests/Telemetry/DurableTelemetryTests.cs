using Serverless.Core.Locking;
using Serverless.Core.Telemetry;
using Serverless.Core.Transactions;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Tests.Locks;
using Serverless.Tests.Transactions;
using Xunit;

namespace Serverless.Tests.Telemetry;

[Collection(TelemetryCollection.Name)]
public sealed class EntityLockTelemetryTests(EntityLockTelemetryTests.Fixture fixture) : IClassFixture<EntityLockTelemetryTests.Fixture>
{
    private static readonly (string, object) Entity = (LockMetrics.BackendTag, LockMetrics.Entity);

    [Fact(Timeout = 90_000)]
    public async Task GrantsQueuedWaitsStaleReleasesAndExpiriesAreCountedForTheEntityBackend()
    {
        var ct = TestContext.Current.CancellationToken;
        using var telemetry = new TelemetryCapture();
        var name = $"metered-{Guid.NewGuid():N}";

        var first = await fixture.Locks.AcquireAsync(name, "a", TimeSpan.FromSeconds(2), TimeSpan.Zero, ct);
        // Waits in line until the first lease runs out (nobody releases it), then is granted.
        var second = await fixture.Locks.AcquireAsync(name, "b", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30), ct);
        var stale = await fixture.Locks.ReleaseAsync(name, first.Owner!, first.Token, ct);
        await fixture.Locks.ReleaseAsync(name, second.Owner!, second.Token, ct);

        Assert.True(first.Holds && second.Holds);
        Assert.Equal(LockOutcome.NotHolder, stale.Outcome);
        Assert.Equal(2, telemetry.Sum("serverless.lock.grants", Entity));
        Assert.Equal(1, telemetry.Sum("serverless.lock.waits", Entity));
        Assert.Equal(1, telemetry.Sum("serverless.lock.expiries", Entity));
        Assert.Equal(1, telemetry.Sum("serverless.lock.fencing.refusals", Entity, (LockMetrics.OperationTag, "release")));
    }

    public sealed class Fixture(ServicesFixture services) : LocksDurableFixture(services);
}

[Collection(TelemetryCollection.Name)]
public sealed class TransactionTelemetryTests(TransactionTelemetryTests.Fixture fixture) : IClassFixture<TransactionTelemetryTests.Fixture>
{
    [Fact(Timeout = 90_000)]
    public async Task EachFinishedTransactionIsCountedByProtocolAndOutcomeWithItsDuration()
    {
        using var telemetry = new TelemetryCapture();
        var account = await fixture.AccountAsync(10_000);

        var applied = await fixture.RunAsync(TransactionFixture.Order(await fixture.StockAsync("happy", 10), account), TransactionProtocol.TwoPhaseCommit);
        var rolledBack = await fixture.RunAsync(TransactionFixture.Order(await fixture.StockAsync("poor", 10), await fixture.AccountAsync(100)), TransactionProtocol.Saga);

        Assert.Equal((TransactionResult.Applied, TransactionResult.RolledBack), (applied.Result, rolledBack.Result));
        Assert.Equal(1, Outcomes(telemetry, TransactionMetrics.TwoPhaseCommit, "applied"));
        Assert.Equal(1, Outcomes(telemetry, TransactionMetrics.Saga, "rolled-back"));
        Assert.Equal(2, telemetry.Sum("serverless.transaction.outcomes"));
        Assert.Equal(2, telemetry.Count("serverless.transaction.duration"));
    }

    private static long Outcomes(TelemetryCapture telemetry, string protocol, string outcome) =>
        telemetry.Sum("serverless.transaction.outcomes", (TransactionMetrics.ProtocolTag, protocol), (TransactionMetrics.OutcomeTag, outcome));

    public sealed class Fixture(ServicesFixture services) : TransactionFixture(services);
}
