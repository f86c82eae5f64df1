using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using DtCore = DurableTask.Core;

namespace Serverless.Testing.Durable;

/// <summary>DurableTask.Core values as the SDK client types a starter function sees.</summary>
internal static class CoreConversions
{
    // Both enums share numeric values (the SDK was cut from the core one); the switch documents the mapping and
    // the cast keeps the obsolete members (ContinuedAsNew, Canceled) without obsolete warnings.
    public static OrchestrationRuntimeStatus ToRuntimeStatus(this DtCore.OrchestrationStatus status) => status switch
    {
        DtCore.OrchestrationStatus.Pending => OrchestrationRuntimeStatus.Pending,
        DtCore.OrchestrationStatus.Running => OrchestrationRuntimeStatus.Running,
        DtCore.OrchestrationStatus.Suspended => OrchestrationRuntimeStatus.Suspended,
        DtCore.OrchestrationStatus.Completed => OrchestrationRuntimeStatus.Completed,
        DtCore.OrchestrationStatus.Failed => OrchestrationRuntimeStatus.Failed,
        DtCore.OrchestrationStatus.Terminated => OrchestrationRuntimeStatus.Terminated,
        _ => (OrchestrationRuntimeStatus)(int)status,
    };

    public static DtCore.OrchestrationStatus ToCoreStatus(this OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Pending => DtCore.OrchestrationStatus.Pending,
        OrchestrationRuntimeStatus.Running => DtCore.OrchestrationStatus.Running,
        OrchestrationRuntimeStatus.Suspended => DtCore.OrchestrationStatus.Suspended,
        OrchestrationRuntimeStatus.Completed => DtCore.OrchestrationStatus.Completed,
        OrchestrationRuntimeStatus.Failed => DtCore.OrchestrationStatus.Failed,
        OrchestrationRuntimeStatus.Terminated => DtCore.OrchestrationStatus.Terminated,
        _ => (DtCore.OrchestrationStatus)(int)status,
    };

    public static DtCore.OrchestrationStatus ParseCoreStatus(string status) =>
        Enum.TryParse<OrchestrationRuntimeStatus>(status, ignoreCase: true, out var parsed)
            ? parsed.ToCoreStatus()
            : throw new ArgumentException($"'{status}' is not an orchestration runtime status.", nameof(status));

    public static TaskFailureDetails? ToTaskFailureDetails(this DtCore.FailureDetails? details) => details is null
        ? null
        : new TaskFailureDetails(details.ErrorType, details.ErrorMessage, details.StackTrace, details.InnerFailure.ToTaskFailureDetails(), details.Properties);

    public static OrchestrationMetadata ToMetadata(this DtCore.OrchestrationState state, bool getInputsAndOutputs, DataConverter converter) =>
        new(state.Name, state.OrchestrationInstance.InstanceId)
        {
            // Without a converter ReadInputAs/ReadOutputAs throw, which is how the SDK marks "not requested".
            DataConverter = getInputsAndOutputs ? converter : null,
            RuntimeStatus = state.OrchestrationStatus.ToRuntimeStatus(),
            CreatedAt = AsUtc(state.CreatedTime),
            LastUpdatedAt = AsUtc(state.LastUpdatedTime),
            SerializedInput = getInputsAndOutputs ? state.Input : null,
            SerializedOutput = getInputsAndOutputs ? state.Output : null,
            SerializedCustomStatus = state.Status,
            FailureDetails = state.FailureDetails.ToTaskFailureDetails(),
            Tags = new Dictionary<string, string>(state.Tags ?? new Dictionary<string, string>()),
        };

    // Table timestamps may come back with an unspecified kind; they are UTC.
    private static DateTimeOffset AsUtc(DateTime time) =>
        time == default ? default : new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
