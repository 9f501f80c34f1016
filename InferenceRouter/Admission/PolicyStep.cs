using AgentCloud.Platform.Contracts;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>Loads the caller's tenant policy from the ControlPlane; without one, nothing is allowed.</summary>
public sealed class PolicyStep(ITenantPolicySource policies, ILogger<PolicyStep> logger) : IAdmissionStep
{
    public async ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        var (policy, refusal) = await LoadAsync(policies, call.Context, logger, cancellationToken);
        if (policy is not null)
        {
            call.Policy = policy;
        }
        return refusal;
    }

    /// <summary>Shared with the model listing, which needs the policy without the rest of admission.</summary>
    public static async Task<(TenantPolicy? Policy, Refusal? Refusal)> LoadAsync(
        ITenantPolicySource policies, Platform.Tenancy.TenantContext context, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var policy = await policies.GetAsync(context, cancellationToken);
            return policy is null
                ? (null, new Refusal(403, "tenant-unknown", "Tenant unknown", $"Tenant '{context.TenantId}' has no policy: it was removed or never existed."))
                : (policy, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Tenant policy for {TenantId} could not be read", context.TenantId);
            return (null, new Refusal(503, "policy-unavailable", "Policy unavailable", "The tenant's policy could not be read from the control plane; try again shortly.")
            {
                RetryAfter = TimeSpan.FromSeconds(1),
            });
        }
    }
}
