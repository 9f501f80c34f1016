using AgentCloud.InferenceRouter.Scheduling;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// Waits for a slot on a shared endpoint in its fair queue, so a heavy tenant cannot starve a light one; dedicated
/// endpoints serve one tenant (or tier) and need no queue. A full queue is 429, a wait past its deadline 503.
/// </summary>
public sealed class SchedulingStep(EndpointSchedulers schedulers) : IAdmissionStep
{
    public async ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        if (!call.Route.Endpoint.IsShared)
        {
            return null;
        }
        var weight = call.Policy.FairShareWeight > 0 ? call.Policy.FairShareWeight : 1;
        try
        {
            call.Lease = await schedulers.For(call.Route.Endpoint.Name)
                .AcquireAsync(new SchedulingRequest(call.Context.TenantId, weight, call.Lane, call.Reservation?.Amount ?? call.InputTokens), cancellationToken);
            return null;
        }
        catch (SchedulerRejectedException e)
        {
            var full = e.Reason == SchedulerRejection.QueueFull;
            return new Refusal(full ? 429 : 503, full ? "queue-full" : "queue-wait-expired", full ? "Too many queued calls" : "Endpoint busy", e.Message)
            {
                RetryAfter = e.RetryAfter,
            };
        }
    }
}
