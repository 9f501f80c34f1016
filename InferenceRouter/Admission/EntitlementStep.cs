namespace AgentCloud.InferenceRouter.Admission;

/// <summary>Refuses a model the tenant is not entitled to, naming it.</summary>
public sealed class EntitlementStep : IAdmissionStep
{
    public ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        var entitlement = call.Policy.Models.FirstOrDefault(m => string.Equals(m.Id, call.Model, StringComparison.Ordinal));
        if (entitlement is null)
        {
            var allowed = call.Policy.Models.Count == 0 ? "none" : string.Join(", ", call.Policy.Models.Select(m => m.Id));
            return ValueTask.FromResult<Refusal?>(new Refusal(403, "model-not-entitled", "Model not entitled",
                $"The model '{call.Model}' is not enabled for this tenant. Models it may use: {allowed}."));
        }
        call.Entitlement = entitlement;
        return ValueTask.FromResult<Refusal?>(null);
    }
}
