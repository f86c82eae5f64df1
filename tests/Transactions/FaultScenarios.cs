using Serverless.Core.Transactions;

namespace Serverless.Tests.Transactions;

/// <summary>
/// The fault rules the test app is configured with, each scoped to SKUs starting with its scenario name, so one
/// configuration serves every test and an order only meets the faults its SKU asks for.
/// </summary>
public static class FaultScenarios
{
    /// <summary>Longer than the 3 s short timeout, even with timers firing up to 1 s early.</summary>
    public static readonly TimeSpan Slow = TimeSpan.FromSeconds(6);

    public static readonly ParticipantName[] Participants = [ParticipantName.Inventory, ParticipantName.Payments, ParticipantName.Shipping];

    /// <summary>The participant operation throws every time.</summary>
    public static string Throws(ParticipantName participant, string operation) => $"throw-{participant}-{operation}".ToLowerInvariant();

    /// <summary>The participant operation stalls past the timeout.</summary>
    public static string Stalls(ParticipantName participant, string operation) => $"slow-{participant}-{operation}".ToLowerInvariant();

    /// <summary>The operation fails its first 4 calls per transaction: more than one retry policy (3 attempts), fewer than two.</summary>
    public static string FailsFirstRound(ParticipantName participant, string operation) => $"flaky-{participant}-{operation}".ToLowerInvariant();

    /// <summary>2PC: Shipping's prepare always throws (so the transaction aborts) and the participant's Abort fails its first 4 calls.</summary>
    public static string AbortFlaky(ParticipantName participant) => $"abortflaky-{participant}".ToLowerInvariant();

    /// <summary>Saga: the shipment step throws, and the participant's compensation fails its first 2 calls (within one retry policy).</summary>
    public static string CompensationFlaky(ParticipantName participant) => $"compflaky-{participant}".ToLowerInvariant();

    /// <summary>Saga: the shipment step throws, and the participant's compensation always throws.</summary>
    public static string CompensationStuck(ParticipantName participant) => $"compstuck-{participant}".ToLowerInvariant();

    /// <summary>The operation does its work, then throws on its first call: the retry is a duplicate delivery.</summary>
    public static string LosesFirstAck(ParticipantName participant, string operation) => $"lostack-{participant}-{operation}".ToLowerInvariant();

    /// <summary>Every operation of this kind stalls 2 s: a window for crashing the worker while it is in flight.</summary>
    public static string Lingers(string operation) => $"linger-{operation}".ToLowerInvariant();

    /// <summary>2PC: prepares linger 2 s, commits 3 s, so "every participant prepared, nothing committed" lasts seconds.</summary>
    public const string PreparedThenSlowCommit = "crashprep";

    /// <summary>Saga: the shipment step throws and every compensation lingers 2 s.</summary>
    public const string CompensationLingers = "lingercomp";

    /// <summary>Fault campaign: random exceptions, lost acknowledgements and stalls past the timeout.</summary>
    public const string Campaign = "camp";

    /// <summary>A campaign stall: past the campaign's 15 s timeout, which is sized for 200 orders in flight at once.</summary>
    public static readonly TimeSpan CampaignStall = TimeSpan.FromSeconds(20);

    public static IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        var rules = new List<(string Step, FaultKind Kind, string Sku, int? Times, double Probability, TimeSpan Delay)>();
        foreach (var p in Participants)
        {
            foreach (var op in new[] { "Prepare", "Commit", "Abort", "Apply", "Compensate" })
            {
                rules.Add(($"{p}.{op}", FaultKind.Throw, Throws(p, op), null, 1, default));
                rules.Add(($"{p}.{op}", FaultKind.Delay, Stalls(p, op), null, 1, Slow));
                rules.Add(($"{p}.{op}", FaultKind.Throw, FailsFirstRound(p, op), 4, 1, default));
                rules.Add(($"{p}.{op}", FaultKind.LoseAck, LosesFirstAck(p, op), 1, 1, default));
            }

            rules.Add(("Shipping.Prepare", FaultKind.Throw, AbortFlaky(p), null, 1, default));
            rules.Add(($"{p}.Abort", FaultKind.Throw, AbortFlaky(p), 4, 1, default));
            rules.Add(("Shipping.Apply", FaultKind.Throw, CompensationFlaky(p), null, 1, default));
            rules.Add(($"{p}.Compensate", FaultKind.Throw, CompensationFlaky(p), 2, 1, default));
            rules.Add(("Shipping.Apply", FaultKind.Throw, CompensationStuck(p), null, 1, default));
            rules.Add(($"{p}.Compensate", FaultKind.Throw, CompensationStuck(p), null, 1, default));
        }

        foreach (var op in new[] { "Commit" })
        {
            rules.Add(($"*.{op}", FaultKind.Delay, Lingers(op), null, 1, TimeSpan.FromSeconds(2)));
        }

        rules.Add(("*.Prepare", FaultKind.Delay, PreparedThenSlowCommit, null, 1, TimeSpan.FromSeconds(2)));
        rules.Add(("*.Commit", FaultKind.Delay, PreparedThenSlowCommit, null, 1, TimeSpan.FromSeconds(3)));
        rules.Add(("Shipping.Apply", FaultKind.Throw, CompensationLingers, null, 1, default));
        rules.Add(("*.Compensate", FaultKind.Delay, CompensationLingers, null, 1, TimeSpan.FromSeconds(2)));

        rules.Add(("*.*", FaultKind.Throw, Campaign, null, 0.05, default));
        rules.Add(("*.*", FaultKind.LoseAck, Campaign, null, 0.03, default));
        rules.Add(("*.Prepare", FaultKind.Delay, Campaign, null, 0.02, CampaignStall));
        rules.Add(("*.Apply", FaultKind.Delay, Campaign, null, 0.02, CampaignStall));
        rules.Add(("*.*", FaultKind.Delay, Campaign, null, 0.05, TimeSpan.FromMilliseconds(300)));

        yield return new("Transactions:Faults:Seed", "20261126");
        for (var i = 0; i < rules.Count; i++)
        {
            var (step, kind, sku, times, probability, delay) = rules[i];
            var at = $"Transactions:Faults:Rules:{i}:";
            yield return new(at + "Step", step);
            yield return new(at + "Kind", kind.ToString());
            yield return new(at + "SkuPrefix", sku + "-");
            yield return new(at + "Probability", probability.ToString(System.Globalization.CultureInfo.InvariantCulture));
            yield return new(at + "Delay", delay.ToString());
            if (times is { } n)
            {
                yield return new(at + "Times", n.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
