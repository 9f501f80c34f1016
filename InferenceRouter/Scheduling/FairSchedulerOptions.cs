using System.ComponentModel.DataAnnotations;

namespace AgentCloud.InferenceRouter.Scheduling;

public sealed class FairSchedulerOptions
{
    /// <summary>Calls in flight at once on one endpoint; the rest wait in the queue.</summary>
    [Range(1, 10_000)]
    public int MaxInFlight { get; set; } = 8;

    /// <summary>Calls one tenant may have waiting; more are refused (429) so one tenant cannot fill the queue.</summary>
    [Range(1, 100_000)]
    public int MaxQueuedPerTenant { get; set; } = 256;

    [Range(1, 1_000_000)]
    public int MaxQueuedTotal { get; set; } = 4096;

    /// <summary>A call that waited this long is refused (503) rather than served late.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(30);

    public SchedulingPolicy Policy { get; set; } = SchedulingPolicy.Fair;
}
