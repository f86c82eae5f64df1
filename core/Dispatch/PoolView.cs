namespace Serverless.Core.Dispatch;

/// <summary>A pool's definition with the live state of each target, as <c>GET</c> shows it.</summary>
/// <param name="Name">Pool name.</param>
/// <param name="Definition">Policy, targets, probe path.</param>
/// <param name="Targets">Live state per target, in definition order.</param>
public sealed record PoolView(string Name, PoolDefinition Definition, IReadOnlyList<TargetState> Targets);

/// <summary>Live state of one target.</summary>
/// <param name="Id">Target id.</param>
/// <param name="Weight">Configured weight.</param>
/// <param name="EffectiveWeight">Weight in use now: 0 while ejected, ramping during slow start.</param>
/// <param name="InFlight">Unexpired leases.</param>
/// <param name="LatencyMs">Peak-EWMA latency decayed to now (0 = no sample yet).</param>
/// <param name="ConsecutiveFailures">Failures in a row.</param>
/// <param name="Ejections">Ejections in a row (each doubles the backoff).</param>
/// <param name="EjectedUntil">End of the current ejection, or null when admitted.</param>
/// <param name="SlowStartUntil">End of the slow-start ramp, or null when at full weight.</param>
public sealed record TargetState(
    string Id,
    int Weight,
    double EffectiveWeight,
    int InFlight,
    double LatencyMs,
    int ConsecutiveFailures,
    int Ejections,
    DateTimeOffset? EjectedUntil,
    DateTimeOffset? SlowStartUntil);
