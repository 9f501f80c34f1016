namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// One decision between a validated request and its dispatch (policy, entitlement, context length, placement,
/// cache salt...). Steps run in registration order; the first refusal ends the request. Later steps (a token
/// reservation, a fair-queue slot) slot in as further implementations.
/// </summary>
public interface IAdmissionStep
{
    ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken);
}
