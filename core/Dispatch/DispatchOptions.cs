using System.ComponentModel.DataAnnotations;

namespace Serverless.Core.Dispatch;

/// <summary>Dispatch health and forwarding limits. Bound from the <c>Dispatch</c> configuration section and validated at start-up.</summary>
public sealed class DispatchOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Dispatch";

    /// <summary>Consecutive failures (connect error, timeout or 5xx) that eject a target.</summary>
    [Range(1, 1_000)]
    public int FailureThreshold { get; set; } = 5;

    /// <summary>How long the first ejection lasts; each further ejection in a row doubles it, up to <see cref="EjectionMax"/>.</summary>
    public TimeSpan EjectionBase { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest ejection.</summary>
    public TimeSpan EjectionMax { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>After readmission a target's effective weight ramps linearly from almost 0 to its weight over this window (0 = off).</summary>
    public TimeSpan SlowStart { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a pick counts as in flight if its caller never reports back (crashed instance).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time allowed for one forwarding attempt (request sent to response body read).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time constant of the peak-EWMA latency: an old sample's influence falls to 1/e after this long.</summary>
    public TimeSpan LatencyDecay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for one active health probe.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest request body forwarded (it is buffered so a retry can send it again).</summary>
    [Range(0, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest response body relayed (it is buffered so a 5xx can be retried elsewhere before anything is sent).</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxResponseBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Host names an HTTP target may use: exact names (<c>orders.internal.example</c>) or one leading wildcard label
    /// (<c>*.example.com</c>, which matches sub-domains only). IP literals do not belong here: list them in
    /// <see cref="AllowedNetworks"/>. Empty (the default) allows no HTTP target at all.
    /// </summary>
    /// <remarks>
    /// A name on this list is still refused when it resolves, at connect time, to a loopback, link-local, private,
    /// unspecified, multicast or reserved address that <see cref="AllowedNetworks"/> does not cover (DNS rebinding).
    /// </remarks>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>
    /// Address ranges in CIDR form (<c>10.20.0.0/16</c>, <c>127.0.0.1/32</c>, <c>fd00::/8</c>) an HTTP target may be
    /// or resolve to. This is the only way to allow an IP-literal target, and the only way to allow a loopback,
    /// link-local (169.254/16, fe80::/10), private or unspecified address: tests with loopback backends set
    /// <c>Dispatch:AllowedNetworks:0 = 127.0.0.1/32</c>.
    /// </summary>
    public IList<string> AllowedNetworks { get; } = [];

    /// <summary>
    /// Storage queues a queue target may name: exact names, or a prefix ending in <c>*</c> (<c>jobs-*</c>). The app's
    /// own queues (<c>catalog-changes</c> and <c>Search:ChangeQueue</c>, <c>dispatch-requests</c>, any <c>*-poison</c>, the Durable Task hub's
    /// control and work-item queues, <c>azure-webjobs-*</c>) are refused unless listed by their exact name.
    /// </summary>
    public IList<string> AllowedQueues { get; } = [];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var error in TargetAllowlist.Problems(this))
        {
            yield return new ValidationResult(error, [nameof(AllowedHosts), nameof(AllowedNetworks), nameof(AllowedQueues)]);
        }

        if (EjectionBase < TimeSpan.FromMilliseconds(1) || EjectionMax < EjectionBase)
        {
            yield return new ValidationResult("Dispatch:EjectionBase must be at least 1 ms and Dispatch:EjectionMax at least EjectionBase.", [nameof(EjectionBase), nameof(EjectionMax)]);
        }

        if (SlowStart < TimeSpan.Zero)
        {
            yield return new ValidationResult("Dispatch:SlowStart must not be negative.", [nameof(SlowStart)]);
        }

        if (Timeout < TimeSpan.FromMilliseconds(10) || ProbeTimeout < TimeSpan.FromMilliseconds(10))
        {
            yield return new ValidationResult("Dispatch:Timeout and Dispatch:ProbeTimeout must be at least 10 ms.", [nameof(Timeout), nameof(ProbeTimeout)]);
        }

        // A lease shorter than the timeout would stop counting a request that is still legitimately running.
        if (LeaseDuration < Timeout)
        {
            yield return new ValidationResult("Dispatch:LeaseDuration must be at least Dispatch:Timeout.", [nameof(LeaseDuration)]);
        }

        if (LatencyDecay < TimeSpan.FromMilliseconds(1))
        {
            yield return new ValidationResult("Dispatch:LatencyDecay must be at least 1 ms.", [nameof(LatencyDecay)]);
        }
    }
}
