using AgentCloud.Platform.Contracts;
using AgentCloud.InferenceRouter.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// Applies the tenant's KV-cache policy. The client's own <c>cache_salt</c> is always dropped: a salt is only safe
/// when the server chooses it. <c>off</c> gets a fresh random salt per request; <c>isolated</c>, <c>dedicated</c> and
/// anything unknown get the tenant's derived salt, which also keeps tenants apart on a tier's dedicated pool. The
/// client's <c>prompt_cache_key</c> goes too: for OpenAI-kind upstreams the router sets it from the same salt.
/// Which of the two fields an upstream receives is decided per endpoint when the call is sent (<c>UpstreamBody</c>).
/// </summary>
public sealed class CacheSaltStep(CacheSaltDeriver salts, IOptions<InferenceRouterOptions> options) : IAdmissionStep
{
    public const string Field = "cache_salt";
    public const string PromptCacheKeyField = "prompt_cache_key";

    public ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        if (call.Kind == InferenceKind.Chat && options.Value.CacheSalting == CacheSalting.Enforced)
        {
            call.Body.Remove(Field);
            call.Body.Remove(PromptCacheKeyField);
            call.CacheSalt = call.Policy.KvCachePolicy == KvCachePolicy.Off ? CacheSaltDeriver.Fresh() : salts.ForCall(call);
            call.Body[Field] = call.CacheSalt;
        }
        return ValueTask.FromResult<Refusal?>(null);
    }
}
