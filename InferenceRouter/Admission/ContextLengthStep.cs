namespace AgentCloud.InferenceRouter.Admission;

/// <summary>Refuses prompts (plus the asked-for output) longer than the tenant's context length for the model.</summary>
public sealed class ContextLengthStep : IAdmissionStep
{
    public ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        var limit = call.Entitlement.MaxContextTokens;
        Refusal? refusal = null;
        if (call.PromptTokens > limit)
        {
            refusal = new Refusal(400, "context-length-exceeded", "Context length exceeded",
                $"The {(call.Kind == InferenceKind.Chat ? "prompt" : "longest input")} has {call.PromptTokens} tokens; this tenant's context length for '{call.Model}' is {limit} tokens.");
        }
        else if (call.MaxTokens is { } max && call.PromptTokens + max > limit)
        {
            refusal = new Refusal(400, "context-length-exceeded", "Context length exceeded",
                $"The prompt has {call.PromptTokens} tokens and max_tokens asks for {max} more; this tenant's context length for '{call.Model}' is {limit} tokens. Lower max_tokens to at most {limit - call.PromptTokens}.");
        }
        return ValueTask.FromResult(refusal);
    }
}
