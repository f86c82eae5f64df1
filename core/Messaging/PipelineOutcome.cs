namespace Serverless.Core.Messaging;

/// <summary>What the pipeline did with a message.</summary>
public enum PipelineAction
{
    /// <summary>The handler succeeded and the inbox recorded it.</summary>
    Handled,

    /// <summary>The inbox had the work done already: no effect.</summary>
    Duplicate,

    /// <summary>Another delivery holds the claim: a copy comes back after its lease (no attempt counted).</summary>
    Deferred,

    /// <summary>A transient failure: a copy with the next attempt comes back after <see cref="PipelineOutcome.Delay"/>.</summary>
    Retried,

    /// <summary>Moved to <c>&lt;queue&gt;-poison</c> as an envelope.</summary>
    Poisoned,
}

/// <summary>The pipeline's result for one message; the original message is complete (the runtime deletes it) in every case.</summary>
/// <param name="Action">What was done.</param>
/// <param name="Attempt">The delivery's attempt number.</param>
/// <param name="Delay">For a retry or deferral, how long the copy stays invisible.</param>
/// <param name="Error">The failure, when there was one.</param>
public sealed record PipelineOutcome(PipelineAction Action, int Attempt, TimeSpan? Delay = null, string? Error = null);
