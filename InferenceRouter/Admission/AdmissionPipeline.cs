namespace AgentCloud.InferenceRouter.Admission;

/// <summary>Runs the admission steps in order and stops at the first refusal.</summary>
public sealed class AdmissionPipeline(IEnumerable<IAdmissionStep> steps)
{
    private readonly IAdmissionStep[] _steps = steps.ToArray();

    public async ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        foreach (var step in _steps)
        {
            if (await step.AdmitAsync(call, cancellationToken) is { } refusal)
            {
                return refusal;
            }
        }
        return null;
    }
}
