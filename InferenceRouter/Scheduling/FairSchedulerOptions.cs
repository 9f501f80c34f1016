using System.ComponentModel.DataAnnotations;

namespace AgentCloud.InferenceRouter.Scheduling;

public sealed class FairSchedulerOptions
{
    /// <summary>Calls in flight at once on one endpoint; the rest wait in the queue.</summary>
    [Range(1, 10_000)]
    public int MaxInFlight { get; set; } = 8;

    /// <summary>
    /// Slots the fair queue keeps for tenants with no call in flight: a tenant already on the endpoint fills at most
    /// <c>MaxInFlight - ReservedSlots</c>. Calls are not preemptible, so without this a light tenant arriving beside a
    /// heavy one waits out a heavy call whatever its place in the queue; with it, it starts at once. The price is that
    /// a tenant alone uses that much less of the endpoint. Never more than <c>MaxInFlight - 1</c>; FIFO ignores it.
    /// </summary>
    [Range(0, 10_000)]
    public int ReservedSlots { get; set; } = 1;

    /// <summary>Calls one tenant may have waiting; more are refused (429) so one tenant cannot fill the queue.</summary>
    [Range(1, 100_000)]
    public int MaxQueuedPerTenant { get; set; } = 256;

    [Range(1, 1_000_000)]
    public int MaxQueuedTotal { get; set; } = 4096;

    /// <summary>A call that waited this long is refused (503) rather than served late.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(30);

    public SchedulingPolicy Policy { get; set; } = SchedulingPolicy.Fair;
}
