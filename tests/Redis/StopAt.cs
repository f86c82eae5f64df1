namespace Serverless.Tests.Redis;

/// <summary>Stands for a process that dies at a step: nothing after it runs.</summary>
internal sealed class SimulatedCrashException(string step) : Exception($"Simulated crash at {step}.");

/// <summary>Hooks for the <c>BetweenSteps</c> points of multi-step Redis operations.</summary>
internal static class StopAt
{
    /// <summary>Stops the operation at <paramref name="step"/> as if the process had died there.</summary>
    public static Func<string, Task> Step(string step) =>
        reached => reached == step ? throw new SimulatedCrashException(step) : Task.CompletedTask;

    /// <summary>Runs <paramref name="interleaved"/> once when the operation reaches <paramref name="step"/>, then lets it go on.</summary>
    public static Func<string, Task> Run(string step, Func<Task> interleaved)
    {
        var ran = 0;
        return reached => reached == step && Interlocked.Exchange(ref ran, 1) == 0 ? interleaved() : Task.CompletedTask;
    }
}
