using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Serverless.Core.Transactions;

/// <summary>
/// Applies <see cref="TransactionFaultOptions"/> around participant calls. Counts are per process (a restarted
/// worker starts counting again), which is what a crash does to a real fault too.
/// </summary>
public sealed class FaultInjector
{
    private readonly IReadOnlyList<FaultRule> _rules;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<(string Transaction, string Step, int Rule), int> _hits = new();
    private readonly ConcurrentDictionary<(string Transaction, string Step), (int Stalled, int Done)> _stalls = new();

    /// <summary>Reads the rules once; they are configuration, not runtime state.</summary>
    public FaultInjector(IOptions<TransactionFaultOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _rules = [.. options.Value.Rules];
        _time = time;
        // Not for security: a seeded generator makes a fault campaign reproducible.
#pragma warning disable CA5394
        _random = new Random(options.Value.Seed);
#pragma warning restore CA5394
    }

    /// <summary>True when any rule is configured.</summary>
    public bool Enabled => _rules.Count > 0;

    /// <summary>Before the work: may stall or throw.</summary>
    public async Task BeforeAsync(ParticipantName participant, string operation, TransactionOrder order, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        foreach (var (rule, index) in Matching(participant, operation, order))
        {
            if (rule.Kind == FaultKind.Delay && Hit(rule, index, participant, operation, order))
            {
                _stalls.AddOrUpdate((order.TransactionId, $"{participant}.{operation}"), (1, 0), (_, c) => (c.Stalled + 1, c.Done));
                await Task.Delay(rule.Delay, _time, ct);
            }
            else if (rule.Kind == FaultKind.Throw && Hit(rule, index, participant, operation, order))
            {
                throw new InjectedFaultException($"Injected fault: {participant}.{operation} failed for {order.TransactionId}.");
            }
        }
    }

    /// <summary>After the work: may throw, so the caller does not learn that the work was done.</summary>
    public void After(ParticipantName participant, string operation, TransactionOrder order)
    {
        ArgumentNullException.ThrowIfNull(order);
        if (_stalls.ContainsKey((order.TransactionId, $"{participant}.{operation}")))
        {
            _stalls.AddOrUpdate((order.TransactionId, $"{participant}.{operation}"), (0, 1), (_, c) => (c.Stalled, c.Done + 1));
        }

        foreach (var (rule, index) in Matching(participant, operation, order))
        {
            if (rule.Kind == FaultKind.LoseAck && Hit(rule, index, participant, operation, order))
            {
                throw new InjectedFaultException($"Injected fault: {participant}.{operation} succeeded for {order.TransactionId} but the acknowledgement was lost.");
            }
        }
    }

    /// <summary>
    /// How many calls of a step were stalled for a transaction, and how many of those have since done their work:
    /// lets a test wait for a late call to land instead of sleeping for the stall.
    /// </summary>
    internal (int Stalled, int Done) Stalls(string transactionId, ParticipantName participant, string operation) =>
        _stalls.GetValueOrDefault((transactionId, $"{participant}.{operation}"));

    private IEnumerable<(FaultRule Rule, int Index)> Matching(ParticipantName participant, string operation, TransactionOrder order)
    {
        for (var i = 0; i < _rules.Count; i++)
        {
            var rule = _rules[i];
            var dot = rule.Step.IndexOf('.', StringComparison.Ordinal);
            var (who, what) = (rule.Step[..dot], rule.Step[(dot + 1)..]);
            if ((who == "*" || who == participant.ToString())
                && (what == "*" || what == operation)
                && (string.IsNullOrEmpty(rule.SkuPrefix) || order.Sku.StartsWith(rule.SkuPrefix, StringComparison.Ordinal)))
            {
                yield return (rule, i);
            }
        }
    }

    private bool Hit(FaultRule rule, int index, ParticipantName participant, string operation, TransactionOrder order)
    {
        if (rule.Probability < 1.0)
        {
            lock (_gate)
            {
                if (_random.NextDouble() >= rule.Probability)
                {
                    return false;
                }
            }
        }

        if (rule.Times is not { } times)
        {
            return true;
        }

        var count = _hits.AddOrUpdate((order.TransactionId, $"{participant}.{operation}", index), 1, (_, n) => n + 1);
        return count <= times;
    }
}
