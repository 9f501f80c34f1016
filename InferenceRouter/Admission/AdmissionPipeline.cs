namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// Runs the admission steps in order and stops at the first refusal. Whatever earlier steps took (a token hold, an
/// endpoint slot) is given back when a later step refuses or the caller goes away.
/// </summary>
public sealed class AdmissionPipeline(IEnumerable<IAdmissionStep> steps, CallSettlement settlement)
{
    private readonly IAdmissionStep[] _steps = steps.ToArray();

    public async ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var step in _steps)
            {
                if (await step.AdmitAsync(call, cancellationToken) is { } refusal)
                {
                    await settlement.ReleaseAsync(call);
                    return refusal;
                }
            }
            return null;
        }
        catch
        {
            await settlement.ReleaseAsync(call);
            throw;
        }
    }
}
