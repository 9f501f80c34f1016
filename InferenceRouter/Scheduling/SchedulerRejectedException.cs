namespace AgentCloud.InferenceRouter.Scheduling;

/// <summary>Why a call was not admitted to an endpoint: the queue was full, or the call waited too long.</summary>
public sealed class SchedulerRejectedException(SchedulerRejection reason, TimeSpan retryAfter, string message) : Exception(message)
{
    public SchedulerRejection Reason { get; } = reason;

    public TimeSpan RetryAfter { get; } = retryAfter;
}

public enum SchedulerRejection
{
    QueueFull,
    WaitExpired,
}
