using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Apis;

/// <summary>What the inference handlers need, bound with <c>[AsParameters]</c>.</summary>
public sealed class RouterServices(AdmissionPipeline admission, PromptTokenCounter tokens, IOptions<InferenceRouterOptions> options, TimeProvider time)
{
    public AdmissionPipeline Admission => admission;
    public PromptTokenCounter Tokens => tokens;
    public InferenceRouterOptions Options => options.Value;
    public TimeProvider Time => time;
}
