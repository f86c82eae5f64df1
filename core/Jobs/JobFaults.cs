namespace Serverless.Core.Jobs;

/// <summary>
/// Where tests and the fault campaign make a runner crash. The default does nothing; a subclass registered in its
/// place throws to simulate a process that died after the target acted but before the outcome was recorded.
/// </summary>
public class JobFaults
{
    /// <summary>Called after a job was forwarded and before its outcome is written.</summary>
    public virtual ValueTask AfterForwardAsync(JobRecord job, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>Thrown by a <see cref="JobFaults"/> to stand for a crash.</summary>
public sealed class SimulatedCrashException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SimulatedCrashException()
        : base("Simulated runner crash.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SimulatedCrashException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public SimulatedCrashException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
