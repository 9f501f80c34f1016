using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Apis;

/// <summary>What the inference handlers need, bound with <c>[AsParameters]</c>.</summary>
public sealed record RouterServices(AdmissionPipeline Admission, PromptTokenCounter Tokens, IOptions<InferenceRouterOptions> Options, TimeProvider Time);
